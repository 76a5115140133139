#!/usr/bin/env bash
# The environment `go build` needs for the Windows agent with audio (cgo
# with mingw-w64, static PortAudio with MME and WASAPI and libopus, WINMM
# delay-loaded), one VAR=value a line:
#   scripts/windows-agent-env.sh DELAYIMPDIR
# DELAYIMPDIR receives the delay-import libraries (scripts/delayimp-libs.sh).
# scripts/release.sh builds bpclient.exe and bpclient-agent.exe with it, and
# the wine end-to-end test (internal/e2e, TestWineCall) builds what it runs
# with it too, so that the test runs what ships. Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
delayimp=$(realpath -m "${1:?usage: scripts/windows-agent-env.sh DELAYIMPDIR}")
winlibs=$(scripts/build-audio-libs.sh windows-amd64)
scripts/delayimp-libs.sh "$delayimp"
# PREFIX/id in CGO_CPPFLAGS is a key for Go's build cache, which does not
# see what pkg-config answers (scripts/build-audio-libs.sh).
printf '%s\n' CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc GOOS=windows GOARCH=amd64 \
  "PKG_CONFIG_LIBDIR=$winlibs/lib/pkgconfig" PKG_CONFIG_PATH= \
  "CGO_CPPFLAGS=-DBPCLIENT_AUDIO_LIBS=$(cat "$winlibs/id")" "CGO_LDFLAGS=-L$delayimp"
