#!/usr/bin/env bash
# Authenticode-signs a Windows file (exe, dll, msi) in place with osslsigncode.
#   scripts/sign.sh FILE [DESCRIPTION]
# The certificate comes from the environment:
#   BPCLIENT_SIGN_PFX       path of a PKCS#12 file (certificate + key)
#   BPCLIENT_SIGN_PASSWORD  its password
#   BPCLIENT_SIGN_TIMESTAMP optional RFC 3161 timestamp server URL
# NSIS calls it through !finalize/!uninstfinalize, so it prints nothing on
# success.
set -euo pipefail
file=$1
desc=${2:-BPClient}
: "${BPCLIENT_SIGN_PFX:?sign: set BPCLIENT_SIGN_PFX to the .pfx file}"
: "${BPCLIENT_SIGN_PASSWORD?sign: set BPCLIENT_SIGN_PASSWORD}"
tmp="$file.signing"
args=(sign -pkcs12 "$BPCLIENT_SIGN_PFX" -readpass - -h sha256
      -n "$desc" -i "https://github.com/openbpclient/bpclient")
if [[ -n ${BPCLIENT_SIGN_TIMESTAMP:-} ]]; then args+=(-ts "$BPCLIENT_SIGN_TIMESTAMP"); fi
rm -f "$tmp"
if ! printf '%s' "$BPCLIENT_SIGN_PASSWORD" | osslsigncode "${args[@]}" -in "$file" -out "$tmp" >"$tmp.log" 2>&1; then
  cat "$tmp.log" >&2; rm -f "$tmp" "$tmp.log"; exit 1
fi
rm -f "$tmp.log"
mv -f "$tmp" "$file"
