#!/usr/bin/env bash
# A throwaway self-signed code-signing certificate, for tests only.
#   scripts/make-test-cert.sh DIR
# Writes DIR/test-codesign.{key,crt,pfx} and DIR/test-codesign.pass, and
# prints the environment scripts/sign.sh reads.
set -euo pipefail
dir=$1
mkdir -p "$dir"
pass=$(openssl rand -hex 12)
openssl req -x509 -newkey rsa:2048 -sha256 -days 30 -nodes \
  -keyout "$dir/test-codesign.key" -out "$dir/test-codesign.crt" \
  -subj "/O=openbpclient test/CN=BPClient Test Code Signing (not trusted)" \
  -addext "basicConstraints=critical,CA:FALSE" \
  -addext "keyUsage=critical,digitalSignature" \
  -addext "extendedKeyUsage=codeSigning" 2>/dev/null
openssl pkcs12 -export -inkey "$dir/test-codesign.key" -in "$dir/test-codesign.crt" \
  -out "$dir/test-codesign.pfx" -passout "pass:$pass" -name "BPClient test"
printf '%s' "$pass" >"$dir/test-codesign.pass"
chmod 600 "$dir/test-codesign.key" "$dir/test-codesign.pfx" "$dir/test-codesign.pass"
echo "BPCLIENT_SIGN_PFX=$dir/test-codesign.pfx"
echo "BPCLIENT_SIGN_PASSWORD=\$(cat $dir/test-codesign.pass)"
