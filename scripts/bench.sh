#!/usr/bin/env bash
# Runs the benchmarks behind BENCHMARKS.md. Pass a -benchtime (default
# 300x) or -count as extra arguments, e.g. scripts/bench.sh -count 5.
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
((${#args[@]})) || args=(-benchtime 300x)
# Measure what ships: the static, ALSA-only PortAudio and libopus.
. scripts/audio-libs-env.sh
go test -run '^$' -bench . "${args[@]}" ./cmd/bpclient-host ./nativemsg ./helper/jsonrpc
# Audio codecs (with the cgo ones), pipeline and resampler (issue 3).
go test -tags opus,g729 -run '^$' -bench . "${args[@]}" ./audio/codec ./audio/dsp
# Audio streams between device callbacks and ReadPCM/WritePCM (issue 3).
go test -run '^$' -bench . "${args[@]}" ./audio
# Device handling on the tests' private PulseAudio (issue 3): a stream
# moved off a removed device, the Watcher's report, the ringer's Stop
# (BPCLIENT_AUDIO_RUNS sets the runs; default 5).
BPCLIENT_AUDIO_BENCH=1 go test -count=1 -v -timeout 10m -run 'TestPulseDeviceNumbers' ./audio | grep -E 'runs, min| ms$|^(ok|FAIL|---)'
# SRTP protect/unprotect per packet and suite beside plain RTP (issue 5).
go test -run '^$' -bench . "${args[@]}" ./sip/srtpmedia
# DTLS-SRTP handshake and certificate (issue 5).
go test -run '^$' -bench . "${args[@]}" ./sip/dtlssrtp
# Softphone (issue 4): SIP/SDP micro-benchmarks, then one call against
# baresip through Kamailio, in-process and with the real agent
# (BPCLIENT_SOFTPHONE_CALL sets its length; default 60s).
go test -run '^$' -bench . "${args[@]}" ./sip
BPCLIENT_SOFTPHONE_BENCH=1 go test -count=1 -v -timeout 10m -run 'TestSoftphoneNumbers|TestSecureNumbers' ./sip | grep -E 'numbers_linux_test|^(ok|FAIL|---)'
# The agent built as release.sh builds it (Opus in, paths trimmed).
BPCLIENT_SOFTPHONE_BENCH=1 GOFLAGS="-tags=opus -trimpath" go test -count=1 -v -timeout 10m -run 'TestSoftphoneAgentNumbers' ./internal/e2e | grep -E 'softphone_test|^(ok|FAIL|---)'
# Issue 11: the real agent and baresip on the same real devices of a
# private PulseAudio and PipeWire: CPU, wake-ups and memory in 60 s calls,
# then mouth-to-ear both ways, once per audio backend of the agent
# (BPCLIENT_DEVICE_BENCH_RUNS, _CALL and _CLICKS shorten a try). The
# tables print ready to paste into BENCHMARKS.md.
for backend in pulse portaudio; do
  BPCLIENT_AUDIO_BACKEND=$backend BPCLIENT_DEVICE_BENCH=1 GOFLAGS="-tags=opus -trimpath" go test -count=1 -v -timeout 30m -run 'TestDeviceCallNumbers|TestDeviceMouthToEar' ./internal/e2e | grep -E 'devicebench_test|mouthtoear_test|^(\||DEVICE|MOUTH)|^(ok|FAIL|---)'
done
