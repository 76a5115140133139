package phoneapi_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/phoneapi"
	"github.com/openbpclient/bpclient/sip"
	"github.com/openbpclient/bpclient/sip/echo"
)

// TestWithoutSoundCard: when the call's devices cannot be opened, the
// page hears why (call.audio, once per call) and the call goes on with
// silence, or with the tone when phone.configure asked for it.
func TestWithoutSoundCard(t *testing.T) {
	echoServer, err := echo.Start("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { echoServer.Close() })
	noCard := func(string, int) (sip.Audio, error) { return sip.Audio{}, errors.New("no default input device") }
	cfg := echoServer.DemoConfig()
	for _, without := range []string{"", "tone"} {
		t.Run("withoutAudio="+without, func(t *testing.T) {
			ev := &recorder{ch: make(chan string, 1024)}
			svc := phoneapi.New(phoneapi.Options{Logger: zerolog.Nop(), Events: ev, Audio: noCard})
			t.Cleanup(svc.Close)
			mustInvoke(t, svc, "phone.configure", map[string]any{"server": cfg.Server, "domain": cfg.Domain,
				"username": cfg.Username, "password": cfg.Password, "withoutAudio": without})
			mustInvoke(t, svc, "phone.register", nil)
			ev.wait(t, `"state":"registered"`, 10*time.Second)
			callID := dial(t, svc, echoServer.Target())
			ev.wait(t, `"state":"connected"`, 10*time.Second)
			want := "silence"
			if without == "tone" {
				want = "tone"
			}
			// The call's audio opens before it reports connected.
			ev.mu.Lock()
			var got string
			for _, e := range ev.events {
				if strings.Contains(e, `"method":"call.audio"`) {
					got = e
				}
			}
			ev.mu.Unlock()
			if !strings.Contains(got, `"source":"`+want+`"`) || !strings.Contains(got, "no default input device") ||
				!strings.Contains(got, callID) {
				t.Errorf("call.audio %s", got)
			}
			mustInvoke(t, svc, "call.hangup", map[string]string{"callId": callID})
			ev.wait(t, `"state":"ended"`, 10*time.Second)
			ev.mu.Lock()
			n := strings.Count(strings.Join(ev.events, "\n"), `"method":"call.audio"`)
			ev.mu.Unlock()
			if n != 1 {
				t.Errorf("%d call.audio events, want 1", n)
			}
		})
	}
	svc := phoneapi.New(phoneapi.Options{Logger: zerolog.Nop()})
	if _, jerr := invoke(t, svc, "phone.configure", map[string]any{"server": cfg.Server, "withoutAudio": "music"}); jerr == nil || jerr.Code != jsonrpc.CodeInvalidParams {
		t.Errorf("withoutAudio music: %v", jerr)
	}
}

func TestTone(t *testing.T) {
	tone := phoneapi.NewTone(440, 8000)
	buf := make([]int16, 8000)
	for i := 0; i < len(buf); i += 160 {
		tone.ReadPCM(buf[i : i+160])
	}
	if f := dsp.DominantFrequency(buf, 8000); f < 435 || f > 445 {
		t.Errorf("tone at %.0f Hz", f)
	}
	if db := dsp.DBFS(dsp.RMS(buf)); db < -14 || db > -10 {
		t.Errorf("tone at %.1f dBFS", db)
	}
	// Above half the rate a sine would alias to another pitch.
	high := phoneapi.NewTone(5000, 8000)
	if n, err := high.ReadPCM(buf); n != len(buf) || err != nil || dsp.RMS(buf) != 0 {
		t.Errorf("5 kHz at 8 kHz sampling: %d samples, %v, %.1f dBFS; want silence", n, err, dsp.DBFS(dsp.RMS(buf)))
	}
}
