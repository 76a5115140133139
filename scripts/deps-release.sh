#!/usr/bin/env bash
# What scripts/release.sh and scripts/test-release.sh need, installed only
# when missing: the mingw cross-compiler (version resources, PortAudio,
# the wine test shim), NSIS, wixl and msitools, osslsigncode, wine, and
# bsdtar (libarchive-tools) for the macOS pkg's xar archive.
set -euo pipefail
packages=(gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 nsis wixl msitools osslsigncode wine wine64 libarchive-tools openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo=sudo; fi
  echo "deps-release: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
