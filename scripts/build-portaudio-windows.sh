#!/usr/bin/env bash
# A static PortAudio for Windows x64 (MME and WASAPI), so bpclient.exe
# links it in and ships no DLL:
#   scripts/build-portaudio-windows.sh PREFIX
# Source: Debian's portaudio19 source package (19.6), fetched by apt-get
# with a private source list and state (nothing of the system's apt setup
# changes). scripts/release.sh calls it when the agent links PortAudio and
# PREFIX/lib/libportaudio.a does not exist yet. About a minute.
set -euo pipefail
prefix=$(realpath -m "${1:?usage: build-portaudio-windows.sh PREFIX}")
winapis=${PORTAUDIO_WINAPIS:-wmme,wasapi}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. The Debian source, with apt's ordinary client and a private state.
mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/src"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main" >"$work/apt/sources.list"
aptopts=(-o "Dir::Etc::SourceList=$work/apt/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
         -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache" -o "APT::Sandbox::User=$(id -un)")
apt-get "${aptopts[@]}" -qq update
(cd "$work/src" && apt-get "${aptopts[@]}" -qq source --download-only portaudio19)
orig=$(ls "$work"/src/portaudio19_*.orig.tar.gz)
mkdir -p "$work/build"
tar -xzf "$orig" -C "$work/build" --strip-components=1
cd "$work/build"

# 2. Two fixes for mingw-w64 (PortAudio 19.7 made the same changes):
#  - pa_win_wasapi.c includes the Windows SDK headers only for MSVC; take
#    them (lower-case names, plus the devpkey header) for mingw-w64 too.
#  - configure puts the bundled, outdated wasapi/mingw-include folder on the
#    include path, where it hides mingw-w64's own audioclient.h; drop that
#    -I (the folder stays: WDM-KS includes from it by relative path).
wasapi=src/hostapi/wasapi/pa_win_wasapi.c
perl -0pi -e 's/#if defined\(_MSC_VER\) && \(_MSC_VER >= 1400\)\n(\s*)#include <Avrt.h>/#if (defined(_MSC_VER) && (_MSC_VER >= 1400)) || defined(__MINGW64_VERSION_MAJOR)\n$1#include <avrt.h>/' "$wasapi"
perl -pi -e 's/#include <Audioclient.h>/#include <audioclient.h>/; s/^(\s*)#include <functiondiscoverykeys.h>/$1#ifndef _MSC_VER\n$1#include <functiondiscoverykeys_devpkey.h>\n$1#endif\n$1#include <functiondiscoverykeys.h>/' "$wasapi"
grep -q '__MINGW64_VERSION_MAJOR' "$wasapi" || { echo "build-portaudio-windows: the WASAPI include fix did not apply" >&2; exit 1; }
sed -i 's#-I\\$(top_srcdir)/src/hostapi/wasapi/mingw-include ##; s#-I$(top_srcdir)/src/hostapi/wasapi/mingw-include ##' configure
if grep -q 'wasapi/mingw-include' configure; then echo "build-portaudio-windows: configure fix did not apply" >&2; exit 1; fi

# 3. Cross-build; the host's pkg-config must not leak ALSA or JACK in.
export PKG_CONFIG_LIBDIR= PKG_CONFIG_PATH=
./configure -q --host=x86_64-w64-mingw32 --prefix="$prefix" \
  --with-winapi="$winapis" --enable-static --disable-shared >/dev/null
make -s -j"$(nproc)" lib/libportaudio.la >/dev/null 2>&1 || make -j"$(nproc)" lib/libportaudio.la
make -s install >/dev/null
echo "build-portaudio-windows: $prefix/lib/libportaudio.a ($winapis)"
