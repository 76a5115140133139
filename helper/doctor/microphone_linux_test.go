package doctor_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/audio"
	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/internal/soundtest"
	"github.com/openbpclient/bpclient/sip"
)

// TestMicrophoneCheckRealCall: a real call whose microphone is a
// private PulseAudio's source: fed silence (a microphone muted at the
// computer), the microphone check warns with the fix; fed a tone, it is
// ok and names the level.
func TestMicrophoneCheckRealCall(t *testing.T) {
	srv := soundtest.Start(t, soundtest.PulseAudio)
	sys, err := audio.Open(audio.WithBackend(audio.BackendPulse))
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	mic := func(string, int) (sip.Audio, error) {
		// 8 kHz as the call: what the call reads is what it sends.
		c, err := sys.OpenCapture("PulseAudio:mic.monitor#0", audio.Format{Rate: 8000, Frame: 20 * time.Millisecond}, audio.StreamOptions{Name: "call"})
		if err != nil {
			return sip.Audio{}, err
		}
		return sip.Audio{Source: c, Close: func() { c.Close() }}, nil
	}
	check := func(feed []int16) doctor.Result {
		t.Helper()
		srv.Feed(t, "mic", feed, 8000)
		h := realCall(t, callSetup{mic: mic})
		if h == nil {
			t.SkipNow()
		}
		rep := doctor.New(nil, doctor.MicrophoneCheck(h.QualityProbe)).Run(context.Background(), doctor.View{Local: true})
		res, ok := rep.Find("audio.microphone")
		if !ok {
			t.Fatalf("no audio.microphone: %+v", rep.Checks)
		}
		return res
	}
	silent := check(make([]int16, 8000*30))
	t.Logf("silent: %s", silent.Found)
	if silent.Status != doctor.Warning || !strings.Contains(silent.Found, "only silence") || !strings.Contains(silent.Fix, "Unmute") {
		t.Errorf("a call with a silent microphone: %+v", silent)
	}
	tone := check(dsp.Sine(8000*30, 440, 8000, 0.3))
	t.Logf("tone: %s", tone.Found)
	if tone.Status != doctor.OK || !strings.Contains(tone.Found, "sent sound") {
		t.Errorf("a call with the microphone fed a tone: %+v", tone)
	}
}
