# bpclient: `make demo` runs the main job (a call from the Agent Desktop
# page), `make test` runs every test.
# Both install what they need first (scripts/deps.sh), and are fast when
# it is already there.

GO ?= go
BIN := bin

.PHONY: all build deps demo demo-call test test-release release bench fuzz clean

all: build

deps:
	@scripts/deps.sh

# The host relay is pure Go (no cgo), so it starts fast and links nothing
# it does not need.
# bpclient links the static, ALSA-only PortAudio and libopus the release
# ships (scripts/audio-libs-env.sh; built once, then cached); bpclient-screen,
# which the agent starts for screen recording and monitoring, libvpx.
build:
	. scripts/audio-libs-env.sh && $(GO) build -tags opus -o $(BIN)/ ./cmd/bpclient
	. scripts/audio-libs-env.sh && $(GO) build -tags vpx -o $(BIN)/ ./cmd/bpclient-screen
	CGO_ENABLED=0 $(GO) build -o $(BIN)/ ./cmd/bpclient-host ./cmd/bpclient-chart

# The softphone end to end: the demo Agent Desktop page in headless
# Chromium (through the real extension, host and agent) registers with an
# embedded loopback SIP service, calls its echo extension for DEMO_FOR
# seconds (0: until Ctrl-C), hangs up and unregisters, and every event the
# page receives is printed as it arrives.
DEMO_FOR ?= 15
demo: deps build
	$(GO) run ./internal/cmd/demo -bin $(BIN) -for $(DEMO_FOR)s

# A real call with no PBX: embedded registrar and echo extension, the
# microphone played back (a generated tone without a sound card), live
# quality. `bpclient demo` runs until Ctrl-C; this target for 15 s.
demo-call: build
	$(BIN)/bpclient demo --for 15s

test: deps
	@scripts/test.sh

bench: deps
	@scripts/bench.sh

# The installers and packages (issue 6): build two signed releases and
# install, upgrade and remove them under wine and dpkg.
test-release: deps
	@scripts/test-release.sh

# dist/: VERSION=1.2.3 make release (signing: see scripts/sign.sh).
release: deps
	@scripts/deps-release.sh
	@scripts/release.sh $(VERSION)

# A short run of every fuzz target (the seeds also run in `make test`).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzReadFrame -fuzztime $(FUZZTIME) ./nativemsg
	$(GO) test -run '^$$' -fuzz FuzzParseManifest -fuzztime $(FUZZTIME) ./nativemsg
	$(GO) test -run '^$$' -fuzz FuzzIDRules -fuzztime $(FUZZTIME) ./nativemsg
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) ./helper/jsonrpc
	$(GO) test -run '^$$' -fuzz FuzzSessionFrames -fuzztime $(FUZZTIME) ./helper/agent
	$(GO) test -run '^$$' -fuzz FuzzParseChallenge -fuzztime $(FUZZTIME) ./sip
	$(GO) test -run '^$$' -fuzz FuzzIncomingRequest -fuzztime $(FUZZTIME) ./sip
	$(GO) test -run '^$$' -fuzz FuzzReferTo -fuzztime $(FUZZTIME) ./sip
	$(GO) test -run '^$$' -fuzz FuzzReplaces -fuzztime $(FUZZTIME) ./sip
	$(GO) test -run '^$$' -fuzz FuzzSipfrag -fuzztime $(FUZZTIME) ./sip
	$(GO) test -run '^$$' -fuzz FuzzDisplaySafe -fuzztime $(FUZZTIME) ./sip
	$(GO) test -run '^$$' -fuzz FuzzTrustedPeer -fuzztime $(FUZZTIME) ./sip
	$(GO) test -run '^$$' -fuzz FuzzCodecEntry -fuzztime $(FUZZTIME) ./sip
	$(GO) test -run '^$$' -fuzz FuzzDecodeEvent -fuzztime $(FUZZTIME) ./audio/codec
	$(GO) test -run '^$$' -fuzz FuzzG722Decode -fuzztime $(FUZZTIME) ./audio/codec
	$(GO) test -tags opus -run '^$$' -fuzz FuzzOpusDecode -fuzztime $(FUZZTIME) ./audio/codec
	$(GO) test -run '^$$' -fuzz FuzzG729Decode -fuzztime $(FUZZTIME) ./audio/codec
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) ./audio/codec/g729
	$(GO) test -run '^$$' -fuzz FuzzEncode -fuzztime $(FUZZTIME) ./audio/codec/g729
	$(GO) test -tags vpx -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) ./screen/vp8
	$(GO) test -run '^$$' -fuzz FuzzParseWAV -fuzztime $(FUZZTIME) ./audio/dsp
	$(GO) test -run '^$$' -fuzz FuzzSDP -fuzztime $(FUZZTIME) ./sip/sdp
	$(GO) test -run '^$$' -fuzz FuzzAnnexB -fuzztime $(FUZZTIME) ./sip/sdp
	$(GO) test -run '^$$' -fuzz FuzzScrub -fuzztime $(FUZZTIME) ./helper/support
	$(GO) test -run '^$$' -fuzz FuzzLineTime -fuzztime $(FUZZTIME) ./helper/support
	$(GO) test -run '^$$' -fuzz FuzzXDGDownloadDir -fuzztime $(FUZZTIME) ./helper/support
	$(GO) test -run '^$$' -fuzz FuzzRefusalCheck -fuzztime $(FUZZTIME) ./helper/doctor
	$(GO) test -run '^$$' -fuzz FuzzLog -fuzztime $(FUZZTIME) ./helper/refusals
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./sip/sdes
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./sip/dtlssrtp
	$(GO) test -run '^$$' -fuzz FuzzParseOffer -fuzztime $(FUZZTIME) ./sip/echo
	$(GO) test -run '^$$' -fuzz FuzzRedact -fuzztime $(FUZZTIME) ./sip/internal/liblog
	$(GO) test -run '^$$' -fuzz FuzzCheck -fuzztime $(FUZZTIME) ./helper/pathguard
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) ./helper/support/chart

clean:
	rm -rf $(BIN)
