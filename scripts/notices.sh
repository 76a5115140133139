#!/usr/bin/env bash
# THIRD_PARTY_NOTICES.txt for the release packages:
#   scripts/notices.sh [--windows] OUT LIBS_PREFIX BINARY...
# The license texts of the C libraries the binaries contain statically
# (PortAudio, libopus, libvpx: from their Debian source packages, installed in
# LIBS_PREFIX/share/licenses by scripts/build-audio-libs.sh), the Go
# standard library's, and every Go module the BINARYs link (go version -m)
# with its license's name, then each distinct license text once.
# --windows (the notices of the Windows packages): also the mingw-w64
# runtime that x86_64-w64-mingw32-gcc -static links into the cgo exes (CRT
# startup, parts of libmingw32, libmingwex and libmsvcrt; winpthreads with
# the posix thread model), its notices the copyright file of the installed
# package that holds crt2.o, and a word on libgcc (no notice required).
set -euo pipefail
cd "$(dirname "$0")/.."
windows=0
if [[ ${1:-} == --windows ]]; then windows=1 && shift; fi
out=${1:?usage: notices.sh [--windows] OUT LIBS_PREFIX BINARY...} libs=${2:?} && shift 2

# license_name FILE: the SPDX name of a license text, by its wording.
license_name() {
  local t; t=$(tr -s '[:space:]' ' ' <"$1")
  case $t in
    # Before MIT: the OFL's grant uses MIT's words.
    *"SIL OPEN FONT LICENSE Version 1.1"*) echo OFL-1.1 ;;
    *"The FreeType Project LICENSE"*) echo FTL ;;
    *"Creative Commons Attribution 4.0 International Public License"*) echo CC-BY-4.0 ;;
    *"Apache License"*"Version 2.0"*) echo Apache-2.0 ;;
    *"Mozilla Public License"*"2.0"*) echo MPL-2.0 ;;
    *"Permission is hereby granted, free of charge"*) echo MIT ;;
    *"Permission to use, copy, modify, and/or distribute"*) echo ISC ;;
    *"Redistribution and use in source and binary forms"*"Neither the name"*) echo BSD-3-Clause ;;
    *"Redistribution and use in source and binary forms"*) echo BSD-2-Clause ;;
    *) echo "unrecognised (see its license file)"; echo "notices: cannot name the license in $1" >&2 ;;
  esac
}
# license_file DIR: a module's license file.
license_file() {
  local f
  for f in LICENSE LICENSE.md LICENSE.txt LICENCE COPYING License license; do
    [[ -f $1/$f ]] && { echo "$1/$f"; return; }
  done
  echo "notices: no license file in $1" >&2; return 1
}
# module_license_files MODULE DIR: the license texts that go with MODULE,
# where its main license file is not all of it: Liberation's fonts (which
# bpclient-chart embeds) are under the SIL OFL, its Go code under BSD; of
# freetype's choice between the FreeType License and GPL-2.0-or-later,
# BPClient takes the FreeType License (its credit line is below).
module_license_files() {
  case $1 in
    codeberg.org/go-fonts/liberation) license_file "$2" && echo "$2/LICENSE-SIL" ;;
    github.com/golang/freetype) echo "$2/licenses/ftl.txt" ;;
    *) license_file "$2" ;;
  esac
}
section() { printf '\n%s\n%s\n\n' "$1" "$(printf '%*s' ${#1} '' | tr ' ' '=')"; }
# mingw_pkg FILE: "PACKAGE VERSION" of the installed package holding the
# mingw-w64 compiler's FILE (crt2.o, libgcc.a).
mingw_pkg() {
  local f p
  f=$(realpath "$(x86_64-w64-mingw32-gcc -print-file-name="$1")")
  p=$(dpkg -S "$f" | cut -d: -f1) && echo "$p $(dpkg-query -W -f='${Version}' "$p")"
}
# mingw_notices: the mingw-w64 runtime's and libgcc's section.
mingw_notices() {
  local crt crtver gcc gccver threads copyright pkg
  pkg=$(mingw_pkg crt2.o) && read -r crt crtver <<<"$pkg"
  pkg=$(mingw_pkg libgcc.a) && read -r gcc gccver <<<"$pkg"
  copyright=/usr/share/doc/$crt/copyright
  [[ -f $copyright ]] || { echo "notices: no $copyright" >&2; return 1; }
  threads=$(x86_64-w64-mingw32-gcc -v 2>&1 | sed -n 's/^Thread model: //p')
  section "mingw-w64 runtime (statically linked into bpclient.exe and bpclient-agent.exe)"
  echo "mingw-w64, https://www.mingw-w64.org/ (Debian package $crt $crtver)"
  echo "The exes built with cgo contain the C runtime's startup code (crt2.o,"
  echo "libmingw32) and parts of libmingwex and libmsvcrt; the compiler's thread"
  echo "model is $threads, so winpthreads is $([[ $threads == posix ]] || echo "not ")linked."
  echo "License: ZPL-2.1 for most of it. The copyright file of the package,"
  echo "which follows unchanged, names every part's copyright holders and"
  echo "license (gdtoa: Lucent; printf: Keith Marshall; winpthreads: MIT; ...)."
  echo
  cat "$copyright"
  section "libgcc (statically linked into bpclient.exe and bpclient-agent.exe)"
  echo "GCC's runtime support library (libgcc.a, crtbegin.o, crtend.o), from"
  echo "Debian package $gcc $gccver."
  echo "License: GPL-3.0-or-later with the GCC Runtime Library Exception 3.1,"
  echo "which lets programs compiled with GCC carry libgcc under terms of their"
  echo "own choice: no notice is required. Named here for completeness."
}

mods=$(for b in "$@"; do go version -m "$b"; done | awk '$1 == "dep" {print $2 "@" $3}' | sort -u)
texts=$(mktemp -d)
trap 'rm -rf "$texts"' EXIT
{
  echo "BPClient: third-party notices"
  echo
  echo "BPClient's programs contain the following third-party software. Their"
  echo "licenses ask that these notices go with every copy."
  section "PortAudio (statically linked into the agent for Linux and Windows)"
  echo "PortAudio Portable Real-Time Audio Library, http://www.portaudio.com/"
  echo "License: MIT-style (the PortAudio license)"
  echo
  cat "$libs/share/licenses/portaudio/LICENSE"
  section "Opus (libopus, statically linked into the agent for Linux and Windows)"
  echo "Opus audio codec, https://opus-codec.org/"
  echo "License: BSD-3-Clause"
  echo
  cat "$libs/share/licenses/opus/LICENSE"
  if [[ -f $libs/share/licenses/vpx/LICENSE ]]; then
    section "libvpx (VP8 for screen recording, statically linked into bpclient-screen for Linux and Windows)"
    echo "WebM Project VP8/VP9 codec SDK, https://www.webmproject.org/"
    echo "License: BSD-3-Clause, with the WebM Project's additional patent grant"
    echo
    cat "$libs/share/licenses/vpx/LICENSE"
    echo
    cat "$libs/share/licenses/vpx/PATENTS"
  fi
  if ((windows)); then mingw_notices; fi
  section "Go standard library and runtime ($(go env GOVERSION))"
  echo "License: BSD-3-Clause"
  echo
  cat "$(go env GOROOT)/LICENSE"
  section "Go modules"
  printf '%-44s %-38s %s\n' module version license
  for m in $mods; do
    dir=$(go mod download -json "$m" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
    files=$(module_license_files "${m%@*}" "$dir")
    names=()
    for f in $files; do
      [[ -f $f ]] || { echo "notices: no $f" >&2; exit 1; }
      sum=$(tr -s '[:space:]' ' ' <"$f" | sha256sum | cut -c1-16)
      [[ -f $texts/$sum ]] || cp "$f" "$texts/$sum"
      echo "${m%@*}" >>"$texts/$sum.mods"
      names+=("$(license_name "$f")")
    done
    printf '%-44s %-38s %s\n' "${m%@*}" "${m#*@}" "$(IFS=,; echo "${names[*]}" | sed 's/,/ and /g')"
  done
  if grep -q '^github.com/golang/freetype@' <<<"$mods"; then
    echo
    echo "github.com/golang/freetype is used under the FreeType License (FTL),"
    echo "one of the two licenses it offers. As the FTL asks:"
    echo "Portions of this software are copyright (c) 2010 The FreeType Project"
    echo "(www.freetype.org). All rights reserved."
  fi
  section "License texts of the Go modules"
  for t in "$texts"/*.mods; do
    echo "--- $(paste -sd, "$t" | sed 's/,/, /g')"
    echo
    cat "${t%.mods}"
    echo
  done
} >"$out"
