package cli

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/sip"
	"github.com/openbpclient/bpclient/sip/echo"
)

// The lines `bpclient demo` prints, as the README shows them.
func TestDemoLines(t *testing.T) {
	at := 2500 * time.Millisecond
	for _, tc := range []struct {
		ev   any
		want string
	}{
		{echo.ServiceUp{Addr: "127.0.0.1:5060"}, "embedded SIP service (registrar + echo extension) on 127.0.0.1:5060\n"},
		{echo.ToneFallback{Hz: 440}, "audio: sending a generated 440 Hz tone and measuring what the echo returns\n"},
		{sip.RegistrationState{State: sip.Registered}, "  2.50s registration: registered \n"},
		{sip.CallState{State: sip.StateConnected, Codec: "opus"}, "  2.50s call: connected (opus)\n"},
		{sip.CallState{State: sip.StateEnded, Reason: "remote hangup"}, "  2.50s call: ended: remote hangup\n"},
		{echo.EchoHeard{DBFS: -13.46, Hz: 440.2}, "  2.50s echo: -13.5 dBFS at 440 Hz\n"},
		{sip.QualityReport{MOS: 4.39, RTTMs: 1.2, JitterMs: 0.04, LossPct: 0}, "  2.50s quality: MOS 4.39, RTT 1 ms, jitter 0.0 ms, loss 0.0%\n"},
		{sip.NetworkIssue{Message: "no RTP for 5 s"}, "  2.50s network: no RTP for 5 s\n"},
		{echo.HangingUp{}, "hanging up\n"},
		{echo.HungUp{State: sip.StateEnded}, "  2.50s call: ended\n"},
	} {
		var out bytes.Buffer
		printDemoEvent(Env{Stdout: &out}, echo.DemoEvent{At: at, Event: tc.ev})
		if out.String() != tc.want {
			t.Errorf("%T: %q, want %q", tc.ev, out.String(), tc.want)
		}
	}
}

// TestDemoCommand runs `bpclient demo --for 1s` in-process: the call
// connects and ends by itself; with no sound card the echo of the tone
// is heard at 440 Hz.
func TestDemoCommand(t *testing.T) {
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if code := Run(ctx, []string{"demo", "--for", "1s"}, Env{Stdout: &out, Stderr: &errb}); code != exitOK {
		t.Fatalf("exit %d: %s%s", code, out.String(), errb.String())
	}
	text := out.String()
	for _, want := range []string{"embedded SIP service (registrar + echo extension) on 127.0.0.1:", "registration: registered",
		"call: connected", "call: ended"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in:\n%s", want, text)
		}
	}
	if strings.Contains(text, "audio: sending a generated 440 Hz tone") &&
		!regexp.MustCompile(`echo: -[0-9.]+ dBFS at 4[34][0-9] Hz`).MatchString(text) {
		t.Errorf("the tone's echo is not heard at 440 Hz:\n%s", text)
	}
}
