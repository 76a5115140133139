#!/usr/bin/env bash
# Runs the benchmarks behind BENCHMARKS.md. Pass a -benchtime (default
# 300x) or -count as extra arguments, e.g. scripts/bench.sh -count 5.
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
((${#args[@]})) || args=(-benchtime 300x)
go test -run '^$' -bench . "${args[@]}" ./cmd/bpclient-host ./nativemsg ./helper/jsonrpc
# Audio codecs (with the cgo ones), pipeline and resampler (issue 3).
go test -tags opus,g729 -run '^$' -bench . "${args[@]}" ./audio/codec ./audio/dsp
# Audio streams between device callbacks and ReadPCM/WritePCM (issue 3).
go test -run '^$' -bench . "${args[@]}" ./audio
# SRTP protect/unprotect per packet and suite beside plain RTP (issue 5).
go test -run '^$' -bench . "${args[@]}" ./sip/srtpmedia
