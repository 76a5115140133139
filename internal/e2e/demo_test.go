//go:build linux

package e2e

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/demo"
	"github.com/openbpclient/bpclient/sip"
)

// TestDemoCallFromPage runs `make demo` briefly: the demo page in headless
// Chromium registers with the embedded SIP service, calls the echo, gets
// quality reports, hangs up and unregisters, all through the real
// extension, host and agent. With no sound card here, the agent says so
// and sends the tone.
func TestDemoCallFromPage(t *testing.T) {
	t.Parallel()
	browsertest.NeedChromium(t)
	b := binaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var out bytes.Buffer
	// Quality reports come every 5 s of media.
	res, err := demo.Run(ctx, demo.Options{Bin: b.Dir, For: 8 * time.Second, Out: &out})
	t.Logf("demo output:\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	var registered, connected, ended, unregistered bool
	reports := 0
	for _, e := range res.Log {
		if e.Kind != "event" {
			continue
		}
		switch e.Name {
		case "registration.state":
			var r sip.RegistrationState
			_ = e.Decode(&r)
			registered = registered || r.State == sip.Registered
			unregistered = registered && r.State == sip.Unregistered
		case "call.state":
			var c sip.CallState
			_ = e.Decode(&c)
			connected = connected || c.State == sip.StateConnected
			if c.State == sip.StateEnded {
				ended = true
				if c.Reason != "local hangup" {
					t.Errorf("the call ended with %q", c.Reason)
				}
			}
		case "quality.report":
			var q sip.QualityReport
			if e.Decode(&q) == nil && q.MOS >= 1 {
				reports++
			} else {
				t.Errorf("quality.report %s", e.Data)
			}
		}
	}
	if !registered || !connected || reports == 0 || !ended || !unregistered {
		t.Errorf("registered %v, connected %v, %d quality reports with a MOS, ended %v, unregistered %v",
			registered, connected, reports, ended, unregistered)
	}
	if !strings.Contains(out.String(), "demo OK") {
		t.Errorf("the demo did not say OK")
	}
}
