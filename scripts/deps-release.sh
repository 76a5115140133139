#!/usr/bin/env bash
# What scripts/release.sh and scripts/test-release.sh need, installed only
# when missing: the mingw cross-compiler (version resources, PortAudio,
# the wine test shim), NSIS, wixl and msitools, osslsigncode, wine, and
# bsdtar (libarchive-tools) for the macOS pkg's xar archive; gcc, make and
# libasound2-dev build the static PortAudio and libopus the agent links,
# nasm libvpx's SIMD and g++ (both targets) its one C++ file
# (scripts/build-audio-libs.sh); mono-mcs (with mono-runtime) compiles the
# desktop API's .NET client and runs its installed sample in the test.
set -euo pipefail
packages=(gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 nsis wixl msitools osslsigncode wine wine64 libarchive-tools openssl
          gcc make libasound2-dev nasm g++ g++-mingw-w64-x86-64 mono-mcs)
. "$(dirname "${BASH_SOURCE[0]}")/apt-ensure.sh"
apt_ensure deps-release "${packages[@]}"
