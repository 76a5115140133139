# Sourced (POSIX sh) by scripts/test.sh, scripts/bench.sh and the Makefile's
# build: puts the static PortAudio (ALSA only) and libopus that the
# release links (scripts/build-audio-libs.sh: built once, then cached)
# first on PKG_CONFIG_PATH, so that tests, benchmarks and bin/bpclient
# link what ships. Where they cannot be built (a first run without
# network), the system's libportaudio and libopus stay, and it says so;
# a plain `go test ./audio/...` never needs them.
if [ "$(uname -s)" = Linux ] && [ "${BPCLIENT_SYSTEM_AUDIO_LIBS:-0}" != 1 ]; then
  if bpclient_audio_libs=$(scripts/build-audio-libs.sh linux-amd64); then
    PKG_CONFIG_PATH="$bpclient_audio_libs/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    # A cache key of its own (Go's cache does not see PKG_CONFIG_PATH).
    CGO_CPPFLAGS="${CGO_CPPFLAGS:+$CGO_CPPFLAGS }-DBPCLIENT_AUDIO_LIBS=$(cat "$bpclient_audio_libs/id")"
    export PKG_CONFIG_PATH CGO_CPPFLAGS
  else
    echo "audio libs: the static PortAudio and libopus could not be built; linking the system's (libportaudio2, with JACK)" >&2
  fi
fi
