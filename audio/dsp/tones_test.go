package dsp

import (
	"bytes"
	"flag"
	"math"
	"os"
	"testing"
	"time"
)

var ringtoneOut = flag.String("ringtone-out", "", "also write the ringtone at 16 kHz to this WAV file, to listen to it")

func render(t *testing.T, tone Tone, rate int, d time.Duration) []int16 {
	t.Helper()
	g, err := NewToneGen(tone, rate)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, int(d.Seconds()*float64(rate)))
	frame := rate / 50
	for off := 0; off < len(out); off += frame {
		g.Read(out[off:min(off+frame, len(out))])
	}
	return out
}

// onOff returns, per 10 ms block, whether the tone sounds.
func onOff(pcm []int16, rate int) []bool {
	blk := rate / 100
	var out []bool
	for off := 0; off+blk <= len(pcm); off += blk {
		out = append(out, RMS(pcm[off:off+blk]) > 0.001)
	}
	return out
}

// Each tone has its frequencies at its level and its cadence.
func TestToneSets(t *testing.T) {
	for _, set := range []ToneSet{NorthAmerica, Europe} {
		for _, tone := range []Tone{set.Dial, set.Ringback, set.Busy, set.Congestion, set.CallWaiting} {
			t.Run(set.Country+"/"+tone.Name, func(t *testing.T) {
				const rate = 8000
				var cycle time.Duration
				for _, d := range tone.Cadence {
					cycle += d
				}
				dur := max(2*cycle, time.Second)
				pcm := render(t, tone, rate, dur)
				on := tone.Cadence
				first := pcm
				if len(on) > 0 {
					first = pcm[:int(on[0].Seconds()*rate)]
				}
				for i, f := range tone.Freqs {
					if f == 0 {
						continue
					}
					a, _ := SineFit(first[rate/100:len(first)-rate/100], f, rate)
					want := dBm0(tone.Levels[i])
					if db := 20 * math.Log10(a/want); math.Abs(db) > 0.5 {
						t.Errorf("%.0f Hz at %.4f, want %.4f", f, a, want)
					}
				}
				// Cadence: 10 ms blocks on and off where the plan says.
				blocks := onOff(pcm, rate)
				var want []bool
				for len(want) < len(blocks) {
					if len(tone.Cadence) == 0 {
						want = append(want, true)
						continue
					}
					for k, d := range tone.Cadence {
						for j := 0; j < int(d/(10*time.Millisecond)); j++ {
							want = append(want, k%2 == 0)
						}
					}
				}
				bad := 0
				for i := range blocks {
					if blocks[i] != want[i] {
						bad++
					}
				}
				if bad > 2*len(tone.Cadence)*2 { // ramps may blur an edge block
					t.Errorf("cadence off in %d of %d 10 ms blocks", bad, len(blocks))
				}
			})
		}
	}
}

func TestDTMF(t *testing.T) {
	want := map[rune][2]float64{
		'1': {697, 1209}, '5': {770, 1336}, '9': {852, 1477}, '0': {941, 1336},
		'*': {941, 1209}, '#': {941, 1477}, 'A': {697, 1633}, 'd': {941, 1633},
	}
	for key, f := range want {
		tone, err := DTMF(key, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if tone.Freqs != f {
			t.Errorf("%q: %v, want %v", key, tone.Freqs, f)
		}
		g, _ := NewToneGen(tone, 16000)
		buf := make([]int16, 320)
		total := 0
		for i := 0; i < 10; i++ {
			total += g.Read(buf)
		}
		if total != 1600 || !g.Done() {
			t.Errorf("%q: %d samples, done=%v; want 100 ms then done", key, total, g.Done())
		}
		if n := g.Read(buf); n != 0 || RMS(buf) != 0 {
			t.Errorf("%q after its end: %d samples, RMS %.3f", key, n, RMS(buf))
		}
		pcm := render(t, tone, 8000, 100*time.Millisecond)
		for _, fr := range f {
			if a := Goertzel(pcm[40:760], fr, 8000); a < 0.1 {
				t.Errorf("%q: %.0f Hz at %.3f", key, fr, a)
			}
		}
	}
	if _, err := DTMF('x', time.Second); err == nil {
		t.Error("DTMF('x'): no error")
	}
}

func TestTonesLookup(t *testing.T) {
	for c, want := range map[string]string{"": "us", "US": "us", "na": "us", "eu": "eu", "ITU": "eu"} {
		s, err := Tones(c)
		if err != nil || s.Country != want {
			t.Errorf("Tones(%q) = %s, %v", c, s.Country, err)
		}
	}
	if _, err := Tones("xx"); err == nil {
		t.Error("Tones(xx): no error")
	}
	if _, err := NewToneGen(Tone{Freqs: [2]float64{5000}}, 8000); err == nil {
		t.Error("5 kHz at 8 kHz sampling: no error")
	}
}

// No clicks: the step between samples at burst edges is no larger than
// inside the burst.
func TestToneNoClicks(t *testing.T) {
	pcm := render(t, NorthAmerica.Busy, 8000, 2*time.Second)
	maxStep := 0
	for i := 1; i < len(pcm); i++ {
		maxStep = max(maxStep, abs(int(pcm[i])-int(pcm[i-1])))
	}
	amp := dBm0(NorthAmerica.Busy.Levels[0]) * 32767
	limit := int(amp * 2 * (2 * math.Pi * 620 / 8000) * 1.05) // sum of both sines' largest steps
	if maxStep > limit {
		t.Errorf("largest step %d, a clean tone needs at most %d", maxStep, limit)
	}
}

func TestToneGenNoAllocs(t *testing.T) {
	g, _ := NewToneGen(NorthAmerica.Ringback, 48000)
	buf := make([]int16, 960)
	if a := testing.AllocsPerRun(100, func() { g.Read(buf) }); a != 0 {
		t.Errorf("%.1f allocations per frame", a)
	}
}

func TestRingtone(t *testing.T) {
	if *ringtoneOut != "" {
		var b bytes.Buffer
		if err := WriteWAV(&b, 16000, 1, Ringtone(16000)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*ringtoneOut, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, rate := range Rates {
		pcm := Ringtone(rate)
		if len(pcm) != 4*rate {
			t.Fatalf("%d Hz: %d samples", rate, len(pcm))
		}
		if p := Peak(pcm); math.Abs(DBFS(p)-DBFS(0.35)) > 0.1 {
			t.Errorf("%d Hz: peak %.3f", rate, p)
		}
		if r := RMS(pcm[3*rate:]); r > 0.001 {
			t.Errorf("%d Hz: the last second should be silence, RMS %.4f", rate, r)
		}
		if f := DominantFrequency(pcm[:rate*22/100], rate); math.Abs(f-1318.5) > 10 {
			t.Errorf("%d Hz: first note at %.1f Hz, want E6 (1318.5)", rate, f)
		}
	}
}

func TestAlert(t *testing.T) {
	for _, rate := range Rates {
		pcm := Alert(rate)
		if len(pcm) != rate*6/10 {
			t.Fatalf("%d Hz: %d samples", rate, len(pcm))
		}
		if p := Peak(pcm); math.Abs(DBFS(p)-DBFS(0.25)) > 0.1 {
			t.Errorf("%d Hz: peak %.3f", rate, p)
		}
		if f := DominantFrequency(pcm[:rate/10], rate); math.Abs(f-1568) > 10 {
			t.Errorf("%d Hz: first note at %.1f Hz, want G6 (1568)", rate, f)
		}
	}
}
