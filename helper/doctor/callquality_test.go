package doctor_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/helper/support"
	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// qualityCall places a call from a real phone to baresip through
// Kamailio and a relay that impairs what reaches the phone, for a few
// quality reports, with the phone's events kept in a support history.
func qualityCall(t *testing.T, im *siptest.Impairment) *support.History {
	t.Helper()
	return realCall(t, callSetup{toPhone: im})
}

// callSetup varies the real call of realCall.
type callSetup struct {
	toPhone *siptest.Impairment
	// mic is the phone's microphone (nil: the call sends silence of its
	// own, with no microphone to judge).
	mic sip.AudioFactory
	// midCall runs once the call has had its reports, before the hangup;
	// it waits for what it needs on the phone's reports.
	midCall func(relay *siptest.RTPRelay, reports <-chan sip.QualityReport)
}

// realCall places the call of qualityCall as setup says.
func realCall(t *testing.T, setup callSetup) *support.History {
	t.Helper()
	relay := siptest.StartImpairedRelay(t, setup.toPhone, nil)
	k := siptest.StartKamailio(t, siptest.KamailioOptions{RTPRelay: relay})
	if k == nil {
		return nil
	}
	siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[1], Registrar: k.Addr(), Codecs: []string{"pcmu"},
		Source: toneWAV(t, 20*time.Second)})
	history := support.NewHistory(nil)
	reports := make(chan sip.QualityReport, 64)
	states := make(chan string, 16)
	opts := []sip.Option{sip.WithEvents(func(name string, params any) {
		history.Observe(name, params)
		switch v := params.(type) {
		case sip.QualityReport:
			if name == sip.EventQualityReport {
				select {
				case reports <- v:
				default: // nobody reads them any more
				}
			}
		case sip.RegistrationState:
			states <- v.State
		case sip.CallState:
			states <- v.State
		}
	})}
	if setup.mic != nil {
		opts = append(opts, sip.WithAudio(setup.mic))
	}
	p, err := sip.New(sip.Config{Server: k.Addr(), Domain: "127.0.0.1", Username: "1001", Password: "secret1",
		Codecs: []string{"PCMU"}, QualityInterval: time.Second, NoMediaTimeout: time.Second}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	if err := p.Register(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, states, sip.Registered)
	c, err := p.Dial(ctx, siptest.DefaultUsers[1].Name)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, states, sip.StateConnected)
	for i := 0; i < 4; i++ {
		select {
		case <-reports:
		case <-ctx.Done():
			t.Fatal("no quality reports")
		}
	}
	if setup.midCall != nil {
		setup.midCall(relay, reports)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, states, sip.StateEnded)
	return history
}

func waitFor(t *testing.T, ch <-chan string, want string) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case s := <-ch:
			if s == want {
				return
			}
		case <-deadline:
			t.Fatalf("no %s within 15 s", want)
		}
	}
}

func toneWAV(t *testing.T, d time.Duration) string {
	t.Helper()
	path := t.TempDir() + "/tone.wav"
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := int(d.Seconds() * 8000)
	if err := dsp.WriteWAV(f, 8000, 1, dsp.Sine(n, 440, 8000, 0.3)); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestQualityCheckLossyCall: a real call whose audio loses a fifth of its
// packets on the way makes the quality check warn, naming the loss and
// what to do; a clean call through the same path names no loss.
func TestQualityCheckLossyCall(t *testing.T) {
	check := func(h *support.History) doctor.Result {
		t.Helper()
		rep := doctor.New(nil, doctor.QualityCheck(h.QualityProbe)).Run(context.Background(), doctor.View{Local: true})
		res, ok := rep.Find("network.quality")
		if !ok {
			t.Fatalf("no network.quality check: %+v", rep.Checks)
		}
		return res
	}
	lossy := qualityCall(t, &siptest.Impairment{Seed: 7, LossPct: 20})
	if lossy == nil {
		return
	}
	res := check(lossy)
	if res.Status != doctor.Warning || !strings.Contains(res.Found, "of the audio lost") || !strings.Contains(res.Fix, "Wi-Fi") {
		t.Errorf("after a lossy call: %+v", res)
	}
	// The same path without loss loses nothing. (Its jitter and round
	// trip are the machine's: a loaded CI runner under -race may cross
	// the jitter threshold, which would be a true finding.)
	clean := qualityCall(t, nil)
	if res := check(clean); strings.Contains(res.Found, "of the audio lost") || strings.Contains(res.Found, "no audio arrived") {
		t.Errorf("after a clean call: %+v", res)
	}
	// Pages do not hear of the calls.
	rep := doctor.New(nil, doctor.QualityCheck(lossy.QualityProbe)).Run(context.Background(), doctor.View{Origin: "https://agent.example.test"})
	if len(rep.Checks) != 0 {
		t.Errorf("a page got %+v", rep.Checks)
	}
}

// TestQualityCheckCauses: each threshold names its likely cause; calls
// within all of them are fine; only the last 5 calls count.
func TestQualityCheckCauses(t *testing.T) {
	good := doctor.CallQuality{Reports: 4, MinMOS: 4.3, MeanMOS: 4.4, MaxLossPct: 0.5, MaxJitterMs: 4, MaxRTTMs: 20}
	with := func(f func(*doctor.CallQuality)) doctor.CallQuality { c := good; f(&c); return c }
	for _, tc := range []struct {
		name  string
		calls []doctor.CallQuality
		want  doctor.Status
		found string
	}{
		{"fine", []doctor.CallQuality{good, good}, doctor.OK, "the last 2 calls sounded fine"},
		{"none yet", []doctor.CallQuality{{CallID: "ringing only"}}, doctor.OK, "no call's quality is known yet"},
		{"jitter", []doctor.CallQuality{with(func(c *doctor.CallQuality) { c.MaxJitterMs = 45 })}, doctor.Warning, "audio arriving unevenly (jitter 45 ms)"},
		{"round trip", []doctor.CallQuality{with(func(c *doctor.CallQuality) { c.MaxRTTMs = 320 })}, doctor.Warning, "a long delay (round trip 320 ms)"},
		{"no audio", []doctor.CallQuality{with(func(c *doctor.CallQuality) { c.MaxLossPct = 100 })}, doctor.Warning, "no audio arrived from the other side"},
		{"mos", []doctor.CallQuality{with(func(c *doctor.CallQuality) { c.MinMOS = 3.1 })}, doctor.Warning, "poor sound (MOS 3.1)"},
		{"old trouble", append([]doctor.CallQuality{with(func(c *doctor.CallQuality) { c.MaxLossPct = 30 })}, good, good, good, good, good), doctor.OK, "the last 5 calls sounded fine"},
	} {
		calls := tc.calls
		rep := doctor.New(nil, doctor.QualityCheck(func(context.Context) ([]doctor.CallQuality, error) { return calls, nil })).
			Run(context.Background(), doctor.View{Local: true})
		r, _ := rep.Find("network.quality")
		if r.Status != tc.want || !strings.Contains(r.Found, tc.found) || (tc.want != doctor.OK && r.Fix == "") {
			t.Errorf("%s: %+v, want %s with %q", tc.name, r, tc.want, tc.found)
		}
	}
}
