//go:build linux

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/audio"
	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/internal/soundtest"
)

// unsetEnv unsets an environment variable for the test, restoring it
// after.
func unsetEnv(t *testing.T, k string) {
	t.Setenv(k, "")
	os.Unsetenv(k)
}

// A desktop's PULSE_LATENCY_MSEC must not stall the softphone: `bpclient
// audio test --json` plays its 1 kHz tone on the default output, the
// private server's speaker sink, whose monitor we record; from the
// tone's first arrival to its last, every half second holds it. On the
// PulseAudio backend at every latency from 10 to 200 ms and with none
// set; on PortAudio unset and from 60 ms (set
// BPCLIENT_AUDIO_PORTAUDIO_LOW=1 for 10 and 20 too: there ALSA's pulse
// plugin's poll wakes PortAudio only at its 2 s timeout, and the tone
// does not get through, BENCHMARKS.md).
func TestAudioTestNoStallAtAnyLatency(t *testing.T) {
	soundtest.ForEach(t, func(t *testing.T, server string) {
		p := soundtest.Start(t, server)
		for _, backend := range []string{audio.BackendPulse, audio.BackendPortAudio} {
			for _, lat := range []string{"", "10", "20", "60", "200"} {
				name := "unset"
				if lat != "" {
					name = lat + "ms"
				}
				t.Run(backend+"/"+name, func(t *testing.T) {
					if backend == audio.BackendPortAudio {
						if audio.Backend() == "" {
							t.Skip("SKIP: this build has no PortAudio")
						}
						if (lat == "10" || lat == "20") && os.Getenv("BPCLIENT_AUDIO_PORTAUDIO_LOW") != "1" {
							t.Skipf("SKIP: PortAudio through ALSA's pulse plugin stalls at %s ms (BENCHMARKS.md); BPCLIENT_AUDIO_PORTAUDIO_LOW=1 runs it", lat)
						}
					}
					t.Setenv(audio.BackendEnv, backend)
					if lat == "" {
						unsetEnv(t, "PULSE_LATENCY_MSEC")
					} else {
						t.Setenv("PULSE_LATENCY_MSEC", lat)
					}
					audioTestReachesSpeaker(t, p, backend)
				})
			}
		}
	})
}

func audioTestReachesSpeaker(t *testing.T, p *soundtest.Server, backend string) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no saved selection: the defaults
	const rate = 8000
	stop := p.Record(t, "spk", rate)
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"audio", "test", "--seconds", "4", "--json"}, Env{Stdout: &out, Stderr: &errb})
	rec := stop()
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var last struct {
		Result audio.TestResult `json:"result"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatalf("%v: %s", err, lines[len(lines)-1])
	}
	t.Logf("result %+v", last.Result)
	if want := map[string]string{audio.BackendPulse: "PulseAudio:spk#0", audio.BackendPortAudio: "ALSA:default#0"}[backend]; last.Result.Output != want {
		t.Errorf("played on %q, want %q", last.Result.Output, want)
	}
	windows, err := toneWindows(rec, rate, 1000)
	t.Logf("%s: %s", backend, windows)
	if err != nil {
		t.Fatal(err)
	}
}

// toneWindows cuts what a sink played, from the tone's first 20 ms to its
// last, into half seconds and says whether each holds the tone: its
// energy at the tone's frequency over the window at least a quarter of
// the tone's own (an amplitude of -18 dBFS or more for the self-test's
// -12 dBFS tone), which fails a window with a gap of more than about
// 250 ms, and the tone in at least three fifths of its 20 ms blocks,
// which fails audio chopped by short stalls (PortAudio's at 20 ms leaves
// every other block silent). The marks count the window's blocks that
// hold the tone when some do not. An error names the windows without
// it, or a tone shorter than 1.5 s.
func toneWindows(pcm []int16, rate int, hz float64) (string, error) {
	block := rate / 50
	has := func(b []int16) bool {
		a, resid := dsp.SineFit(b, hz, rate)
		return dsp.DBFS(a) > -30 && a > 4*resid
	}
	first, last := -1, -1
	for i := 0; i+block <= len(pcm); i += block {
		if has(pcm[i : i+block]) {
			if first < 0 {
				first = i
			}
			last = i + block
		}
	}
	if first < 0 {
		return "no tone", fmt.Errorf("the tone never reached the speaker (%d samples recorded)", len(pcm))
	}
	var marks strings.Builder
	var missing []string
	half := rate / 2
	n := 0
	for i := first; i < last; i += half {
		end := min(i+half, last)
		// The tone's energy, 20 ms at a time: a sound server or recorder
		// that drops or inserts samples shifts the sine's phase, which one
		// fit over the whole window would count as missing tone.
		blocks, with := 0, 0
		var energy float64
		for j := i; j+block <= end; j += block {
			blocks++
			if has(pcm[j : j+block]) {
				with++
			}
			a, _ := dsp.SineFit(pcm[j:j+block], hz, rate)
			energy += a * a
		}
		a := math.Sqrt(energy / float64(max(blocks, 1)))
		if dsp.DBFS(a) >= -18 && 5*with >= 3*blocks {
			marks.WriteByte('+')
		} else {
			marks.WriteByte('-')
			missing = append(missing, fmt.Sprintf("#%d: %d of %d blocks, %.1f dBFS", n, with, blocks, dsp.DBFS(a)))
		}
		if with < blocks {
			fmt.Fprintf(&marks, "(%d/%d)", with, blocks)
		}
		n++
	}
	span := float64(last-first) / float64(rate)
	desc := fmt.Sprintf("tone from %.2f s for %.2f s; half seconds %s", float64(first)/float64(rate), span, marks.String())
	if len(missing) > 0 {
		return desc, fmt.Errorf("the tone missed %d of %d half seconds (%s): %s", len(missing), n, strings.Join(missing, "; "), desc)
	}
	if span < 1.5 {
		return desc, fmt.Errorf("the tone lasted %.2f s of a 4 s test: %s", span, desc)
	}
	return desc, nil
}
