#!/usr/bin/env bash
# Writes delay-import libraries for the Windows DLLs that the cgo exes
# import and that are not KnownDLLs, so that the loader does not resolve
# them at start from the program's own (user-writable) folder:
#   scripts/delayimp-libs.sh OUTDIR
# OUTDIR/libwinmm.a then stands in for mingw-w64's libwinmm.a when OUTDIR
# comes first on the linker's path (CGO_LDFLAGS=-LOUTDIR). The DLL is
# loaded at its first call, by mingw-w64's __delayLoadHelper2 through
# LoadLibrary, which helper/safedll has limited to System32 by then.
set -euo pipefail
out=${1:?usage: scripts/delayimp-libs.sh OUTDIR}
mkdir -p "$out"
libdir=$(dirname "$(x86_64-w64-mingw32-gcc -print-file-name=libwinmm.a)")
for dll in WINMM; do
  lib=$libdir/lib${dll,,}.a
  [[ -f $lib ]] || { echo "delayimp-libs: no $lib" >&2; exit 1; }
  def=$out/${dll,,}.def
  {
    echo "LIBRARY $dll.dll"
    echo "EXPORTS"
    # The import library's __imp_ symbols are the DLL's exports.
    x86_64-w64-mingw32-nm "$lib" | awk '$2 == "I" && $3 ~ /^__imp_/ { sub(/^__imp_/, "", $3); print $3 }' | sort -u
  } >"$def"
  x86_64-w64-mingw32-dlltool --input-def "$def" --dllname "$dll.dll" --output-delaylib "$out/lib${dll,,}.a"
done
