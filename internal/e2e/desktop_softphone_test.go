//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/siptest"
)

const (
	// demoCallMedia is how long a makeCall's call carries media before
	// the test hangs it up: enough for a recording to analyse, short
	// enough to keep the desktop tests in seconds.
	demoCallMedia = 2 * time.Second
	// agentToneHz is what the agent sends without a sound device
	// (phone.configure withoutAudio: "tone", docs/API.md).
	agentToneHz = 440
	// agentToneFloorDBFS is well below the tone's -10 dBFS, well above
	// silence or comfort noise.
	agentToneFloorDBFS = -30
)

// registerDemoSoftphone registers the demo page's softphone as 1001 with
// a private Kamailio, where baresip (1002) answers calls on its own and
// records them: the page's makeCall then dials through it. With no sound
// device the agent sends its tone, which the callee's recording shows.
func registerDemoSoftphone(t *testing.T, ctx context.Context, page browsertest.Page) *siptest.Baresip {
	t.Helper()
	k, callee := callPeers(t)
	user := siptest.DefaultUsers[0]
	cfg, err := json.Marshal(map[string]any{"server": k.Addr(), "domain": "127.0.0.1", "username": user.Name,
		"password": user.Password, "codecs": []string{"PCMU"}, "withoutAudio": "tone"})
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		OK    bool                  `json:"ok"`
		Error *browsertest.RPCError `json:"error"`
	}
	if err := page.Eval(ctx, fmt.Sprintf(`bpDemo.softphone.register(%s)`, cfg), &r); err != nil {
		t.Fatal(err)
	}
	if !r.OK {
		t.Fatalf("the page's softphone did not register: %v", r.Error)
	}
	return callee
}

// hangUpDemoCall lets the page's call carry media for demoCallMedia,
// then has the page hang it up (and unregister), as the agent ending the
// interaction in the Agent Desktop would.
func hangUpDemoCall(t *testing.T, ctx context.Context, page browsertest.Page) {
	t.Helper()
	select {
	case <-time.After(demoCallMedia):
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	var r struct {
		OK    bool                  `json:"ok"`
		Error *browsertest.RPCError `json:"error"`
	}
	if err := page.Eval(ctx, `bpDemo.softphone.stop()`, &r); err != nil {
		t.Fatal(err)
	}
	if !r.OK {
		t.Fatalf("the page did not hang up: %v", r.Error)
	}
}

// checkCalleeHeardAgentTone checks that the call was real media: the
// callee's recording of it holds the agent's tone, by frequency and
// level.
func checkCalleeHeardAgentTone(t *testing.T, callee *siptest.Baresip) {
	t.Helper()
	pcm := clipNewRecording(t, callee, nil)
	// The middle half: past the streams' start, before the hangup.
	mid := pcm[len(pcm)/4 : 3*len(pcm)/4]
	f, level := dsp.DominantFrequency(mid, 8000), dsp.DBFS(dsp.RMS(mid))
	if math.Abs(f-agentToneHz) > 15 || level < agentToneFloorDBFS {
		t.Fatalf("the callee heard %.0f Hz at %.1f dBFS over %v, want the agent's %d Hz tone above %d dBFS",
			f, level, time.Duration(len(pcm))*time.Second/8000, agentToneHz, agentToneFloorDBFS)
	}
	t.Logf("the callee heard %.0f Hz at %.1f dBFS over %v", f, level, time.Duration(len(pcm))*time.Second/8000)
}
