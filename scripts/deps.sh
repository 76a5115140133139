#!/usr/bin/env bash
# Installs what building, testing and the demo need, and nothing twice:
# Debian packages only when missing, Go modules from the module cache.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v go >/dev/null 2>&1; then
  echo "deps: Go 1.26 or newer is needed on PATH (https://go.dev/dl/); Debian's golang package is too old." >&2
  exit 1
fi

# Browsers for the end-to-end tests and the demo.
packages=(chromium firefox-esr ca-certificates)
# Real SIP peers for the softphone's end-to-end tests (issue 4): Kamailio as
# registrar/proxy, baresip as the remote phone, sox to check recordings.
packages+=(kamailio kamailio-tls-modules baresip baresip-core sox libsox-fmt-all)
# Audio codecs built with cgo (libopus, bcg729) and the independent
# implementations the codec tests compare against (sox, ffmpeg, opus-tools).
packages+=(pkg-config libopus-dev libbcg729-dev sox libsox-fmt-all ffmpeg opus-tools)
# PortAudio for the audio devices; ALSA and a private PulseAudio give the
# audio end-to-end tests devices on a machine without a sound card.
packages+=(portaudio19-dev pulseaudio pulseaudio-utils alsa-utils libasound2-plugins)
# A headless PipeWire beside it (issue 11): the same audio tests run on both
# servers. wireplumber links streams to sinks and needs a session bus (the
# tests start a private dbus-daemon). Not pipewire-alsa: it conflicts with
# pulseaudio, and ALSA's pulse plugin reaches pipewire-pulse anyway.
packages+=(pipewire pipewire-bin pipewire-pulse wireplumber dbus)
# Screen-pop and presence tests (issue 14): a real notification server
# (dunst, which supports actions) under Xvfb on a private session bus;
# xdotool to make input for the idle tests and to see dunst's window,
# notify-send and gdbus for the recipes.
packages+=(xvfb dunst xdotool libnotify-bin libglib2.0-bin)
# The desktop API's .NET client (issue 15): Debian's Mono C# compiler and
# runtime build BPClient.Desktop.dll and run its test program against the
# real agent; mcs with System.dll is enough (not mono-devel's 160 packages).
packages+=(mono-mcs)
# Screen recording (issue 16): libvpx for VP8 through cgo (screen/vp8,
# build tag vpx); Xvfb, xdotool and ffmpeg above run its tests. nasm
# and g++ build the static libvpx scripts/build-audio-libs.sh makes for tests.
packages+=(libvpx-dev nasm g++)
# G.729 (issue 17): its quality tests measure the codec on speech that
# espeak-ng makes from text.
packages+=(espeak-ng)

. scripts/apt-ensure.sh
apt_ensure deps "${packages[@]}"

go mod download
