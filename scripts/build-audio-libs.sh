#!/usr/bin/env bash
# The C libraries the agent links statically: PortAudio (19.6), libopus
# (1.3.1) and libvpx (1.12, VP8 only), built from Debian's source packages
# (bookworm) for one target:
#   scripts/build-audio-libs.sh TARGET [PREFIX]
#     TARGET  linux-amd64    PortAudio with the ALSA host API only (no JACK,
#                            no OSS), loading libasound when audio starts,
#                            so the agent needs libc and libm (Opus) only
#             windows-amd64  PortAudio with MME and WASAPI (PORTAUDIO_WINAPIS),
#                            cross-built with mingw-w64, so bpclient.exe
#                            ships no DLL
#     PREFIX  default: $BPCLIENT_AUDIO_LIBS/TARGET, where BPCLIENT_AUDIO_LIBS
#             defaults to ${XDG_CACHE_HOME:-~/.cache}/bpclient/audio-libs
# Prints PREFIX on stdout (progress goes to stderr). PREFIX/lib holds only
# the static libraries, PREFIX/lib/pkgconfig their .pc files (usable by cgo,
# which asks pkg-config without --static: Libs carries what they need),
# PREFIX/share/licenses/{portaudio,opus,vpx} their license texts (for
# THIRD_PARTY_NOTICES.txt), PREFIX/id a checksum for Go's build cache
# (see the end). A library whose .a and license are already
# there is not built again; a build takes about a minute per library.
#
# Sources: apt-get source with a private source list and state (nothing of
# the system's apt setup changes). Callers: scripts/release.sh, and
# scripts/test.sh and scripts/bench.sh, so that tests measure what ships.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${1:?usage: build-audio-libs.sh linux-amd64|windows-amd64 [PREFIX]}
case $target in
  linux-amd64) host=x86_64-linux-gnu ;;
  windows-amd64) host=x86_64-w64-mingw32 ;;
  *) echo "build-audio-libs: unknown target $target" >&2; exit 2 ;;
esac
prefix=$(realpath -m "${2:-${BPCLIENT_AUDIO_LIBS:-${XDG_CACHE_HOME:-$HOME/.cache}/bpclient/audio-libs}/$target}")
mkdir -p "$prefix"
# Parallel builds (two `make test` runs) wait for each other here.
exec 8>"$prefix.lock"
flock 8

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say() { echo "build-audio-libs: $*" >&2; }

# debian_source PACKAGE DIR: the upstream source of a Debian source package
# unpacked into DIR, its debian/copyright beside it as DIR/debian-copyright.
debian_source() {
  local pkg=$1 dir=$2 apt=$work/apt
  if [[ ! -f $apt/sources.list ]]; then
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main" >"$apt/sources.list"
    aptopts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
             -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o "APT::Sandbox::User=$(id -un)")
    apt-get "${aptopts[@]}" -qq update
  fi
  mkdir -p "$work/src/$pkg" "$dir"
  (cd "$work/src/$pkg" && apt-get "${aptopts[@]}" -qq source --download-only "$pkg")
  tar -xzf "$(ls "$work/src/$pkg/${pkg}_"*.orig.tar.gz)" -C "$dir" --strip-components=1
  tar -xJf "$(ls "$work/src/$pkg/${pkg}_"*.debian.tar.xz)" -C "$work/src/$pkg" debian/copyright
  cp "$work/src/$pkg/debian/copyright" "$dir/debian-copyright"
}

# install_license NAME FILE: the upstream license and Debian's copyright
# file into PREFIX/share/licenses/NAME.
install_license() {
  mkdir -p "$prefix/share/licenses/$1"
  cp "$2" "$prefix/share/licenses/$1/LICENSE"
  cp debian-copyright "$prefix/share/licenses/$1/debian-copyright"
}

# make_lib LIBRARY: builds and installs the library's libtool target quietly,
# and loudly when that fails, so the error shows.
make_lib() {
  make -s -j"$(nproc)" "$1" >/dev/null 2>&1 || make -j"$(nproc)" "$1"
}

build_portaudio() {
  local src=$work/portaudio
  debian_source portaudio19 "$src"
  cd "$src"
  local opts=()
  if [[ $target == windows-amd64 ]]; then
    local winapis=${PORTAUDIO_WINAPIS:-wmme,wasapi}
    # Two fixes for mingw-w64 (PortAudio 19.7 made the same changes):
    #  - pa_win_wasapi.c includes the Windows SDK headers only for MSVC; take
    #    them (lower-case names, plus the devpkey header) for mingw-w64 too.
    #  - configure puts the bundled, outdated wasapi/mingw-include folder on
    #    the include path, where it hides mingw-w64's own audioclient.h; drop
    #    that -I (the folder stays: WDM-KS includes from it by relative path).
    local wasapi=src/hostapi/wasapi/pa_win_wasapi.c
    perl -0pi -e 's/#if defined\(_MSC_VER\) && \(_MSC_VER >= 1400\)\n(\s*)#include <Avrt.h>/#if (defined(_MSC_VER) && (_MSC_VER >= 1400)) || defined(__MINGW64_VERSION_MAJOR)\n$1#include <avrt.h>/' "$wasapi"
    perl -pi -e 's/#include <Audioclient.h>/#include <audioclient.h>/; s/^(\s*)#include <functiondiscoverykeys.h>/$1#ifndef _MSC_VER\n$1#include <functiondiscoverykeys_devpkey.h>\n$1#endif\n$1#include <functiondiscoverykeys.h>/' "$wasapi"
    grep -q '__MINGW64_VERSION_MAJOR' "$wasapi" || { say "the WASAPI include fix did not apply"; exit 1; }
    sed -i 's#-I\\$(top_srcdir)/src/hostapi/wasapi/mingw-include ##; s#-I$(top_srcdir)/src/hostapi/wasapi/mingw-include ##' configure
    if grep -q 'wasapi/mingw-include' configure; then say "configure fix did not apply"; exit 1; fi
    opts=(--with-winapi="$winapis")
  else
    # ALSA only: JACK's client library (and with it libstdc++, libdb) and
    # OSS stay out of the agent. PA_ALSA_DYNAMIC: PortAudio opens
    # libasound.so.2 with dlopen when it starts (the agent starts it with
    # the first stream), so an agent that plays nothing maps no ALSA, and
    # one on a machine without libasound still runs and says so.
    opts=(--with-alsa --without-jack --without-oss --without-asihpi
          CFLAGS="-O2 -DPA_ALSA_DYNAMIC -DPA_ALSA_PATHNAME=\\\"libasound.so.2\\\"")
  fi
  ./configure -q --host=$host --prefix="$prefix" --enable-static --disable-shared "${opts[@]}" >/dev/null
  make_lib lib/libportaudio.la
  make -s install >/dev/null
  if [[ $target == linux-amd64 ]]; then
    grep -q 'define PA_USE_JACK 1\|PA_USE_JACK=1' Makefile && { say "JACK was configured in"; exit 1; }
    # cgo asks `pkg-config portaudio-2.0` without --static: the libraries
    # the static PortAudio needs go on Libs itself.
    grep -q ' U snd_pcm_open' <(nm "$prefix/lib/libportaudio.a") && { say "libasound is linked, not loaded"; exit 1; }
    sed -i 's/^Libs: .*/Libs: -L${libdir} -lportaudio -lm -lpthread -ldl/; /^Libs.private:/d' \
      "$prefix/lib/pkgconfig/portaudio-2.0.pc"
  fi
  install_license portaudio LICENSE.txt
  cd - >/dev/null
  say "$prefix/lib/libportaudio.a ($target: ${opts[*]})"
}

build_opus() {
  local src=$work/opus
  debian_source opus "$src"
  cd "$src"
  local opts=(--disable-doc --disable-extra-programs)
  # mingw-w64's stack protector and fortified string functions need libssp,
  # which a static bpclient.exe would otherwise have to carry along.
  if [[ $target == windows-amd64 ]]; then opts+=(--disable-stack-protector CFLAGS="-O2 -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=0"); fi
  ./configure -q --host=$host --prefix="$prefix" --enable-static --disable-shared "${opts[@]}" >/dev/null
  make_lib libopus.la
  make -s install >/dev/null
  # As for PortAudio: what the static library needs, on Libs.
  if [[ $target == linux-amd64 ]]; then
    sed -i 's/^Libs: .*/Libs: -L${libdir} -lopus -lm/; /^Libs.private:/d' "$prefix/lib/pkgconfig/opus.pc"
  fi
  install_license opus COPYING
  cd - >/dev/null
  say "$prefix/lib/libopus.a ($target)"
}

# libvpx (VP8 only, for screen recording: screen/vp8, -tags vpx): its own
# configure, not autotools; nasm assembles its x86 SIMD (without it the
# encoder is several times slower, so a missing nasm is an error here).
build_vpx() {
  local src=$work/libvpx
  command -v nasm >/dev/null || { say "libvpx needs nasm (scripts/deps-release.sh installs it)"; exit 1; }
  debian_source libvpx "$src"
  cd "$src"
  local vpx_target=x86_64-linux-gcc
  if [[ $target == windows-amd64 ]]; then vpx_target=x86_64-win64-gcc; export CROSS=$host-; fi
  ./configure --target=$vpx_target --prefix="$prefix" --as=nasm --enable-static --disable-shared --enable-pic \
    --enable-vp8 --disable-vp9 --disable-examples --disable-tools --disable-docs --disable-unit-tests \
    --disable-install-bins --disable-install-srcs >/dev/null
  make -s -j"$(nproc)" >/dev/null 2>&1 || make -j"$(nproc)"
  make -s install >/dev/null
  unset CROSS
  # As for PortAudio: what the static library needs, on Libs.
  sed -i 's/^Libs: .*/Libs: -L${libdir} -lvpx -lm -lpthread/; /^Libs.private:/d' "$prefix/lib/pkgconfig/vpx.pc"
  install_license vpx LICENSE
  cp PATENTS "$prefix/share/licenses/vpx/PATENTS"
  cd - >/dev/null
  say "$prefix/lib/libvpx.a ($target)"
}

# The host's pkg-config must not leak its ALSA, JACK or Opus into a cross
# build; the Linux build finds ALSA by its default paths.
export PKG_CONFIG_LIBDIR= PKG_CONFIG_PATH=
if [[ $target == linux-amd64 ]]; then unset PKG_CONFIG_LIBDIR; fi
# What each library was built with: a cached build made otherwise is built
# again.
portaudio_build="19.6 ${PORTAUDIO_WINAPIS:-} alsa-dynamic"
[[ -f $prefix/lib/libportaudio.a && -f $prefix/share/licenses/portaudio/LICENSE &&
   $(cat "$prefix/portaudio.build" 2>/dev/null) == "$portaudio_build" ]] || { build_portaudio; echo "$portaudio_build" >"$prefix/portaudio.build"; }
[[ -f $prefix/lib/libopus.a && -f $prefix/share/licenses/opus/LICENSE ]] || build_opus
[[ -f $prefix/lib/libvpx.a && -f $prefix/share/licenses/vpx/LICENSE ]] || build_vpx
# No shared library may sit beside the static ones: -L PREFIX/lib must
# find the .a files.
rm -f "$prefix"/lib/*.so* "$prefix"/lib/*.la
# Go's build cache keys cgo packages by CGO_CPPFLAGS and the like, not by
# what pkg-config answers (golang/go#24544): a package compiled against
# the system's libportaudio would be reused as is. Callers therefore add
# -DBPCLIENT_AUDIO_LIBS=$(cat PREFIX/id) to CGO_CPPFLAGS: this checksum of
# the libraries and their .pc files.
cat "$prefix"/lib/*.a "$prefix"/lib/pkgconfig/*.pc | cksum | cut -d' ' -f1 >"$prefix/id"
echo "$prefix"
