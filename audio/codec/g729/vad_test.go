package g729

import (
	"math"
	"math/rand"
	"testing"
)

// The VAD's signals, 8 kHz, at levels in dBFS of their RMS (0 dBFS: a
// full-scale square wave).

func dbfsRMS(db float64) float64 { return 32768 * math.Pow(10, db/20) }

// tone is a sine of hz at db dBFS (RMS).
func tone(hz, db float64) func(n int) float64 {
	a := dbfsRMS(db) * math.Sqrt2
	return func(n int) float64 { return a * math.Sin(2*math.Pi*hz*float64(n)/8000) }
}

// musicLike is a chord of three tones whose loudness moves every 250 ms
// (a held note, a softer one, a louder one), the way hold music does.
func musicLike(db float64) func(n int) float64 {
	notes := [3]float64{262, 330, 392}
	steps := [4]float64{0, -6, 3, -3}
	a := dbfsRMS(db) * math.Sqrt2 / math.Sqrt(3)
	return func(n int) float64 {
		g := math.Pow(10, steps[(n/2000)%len(steps)]/20)
		var s float64
		for i, f := range notes {
			s += math.Sin(2*math.Pi*f*float64(n)/8000 + float64(i))
		}
		return g * a * s
	}
}

// vowelLike is a voiced sound: a 120 Hz pulse's first 25 harmonics,
// falling 6 dB an octave, with a 20 ms attack.
func vowelLike(db float64) func(n int) float64 {
	var norm float64
	for h := 1; h <= 25; h++ {
		norm += 1 / float64(h*h) / 2
	}
	a := dbfsRMS(db) / math.Sqrt(norm)
	return func(n int) float64 {
		var s float64
		for h := 1; h <= 25; h++ {
			s += math.Sin(2*math.Pi*120*float64(h*n)/8000) / float64(h)
		}
		return math.Min(float64(n)/160, 1) * a * s
	}
}

// whiteNoise is uniform white noise at db dBFS (RMS).
func whiteNoise(db float64, seed int64) func(n int) float64 {
	rng := rand.New(rand.NewSource(seed))
	a := dbfsRMS(db) * math.Sqrt(3)
	return func(int) float64 { return a * (2*rng.Float64() - 1) }
}

// pinkNoise is white noise through a 1/f pinking filter (a common
// third-order approximation), scaled to db dBFS (RMS).
func pinkNoise(db float64, seed int64) func(n int) float64 {
	rng := rand.New(rand.NewSource(seed))
	b := [4]float64{0.049922035, -0.095993537, 0.050612699, -0.004408786}
	a := [4]float64{1, -2.494956002, 2.017265875, -0.522189400}
	var x, y [4]float64
	step := func() float64 {
		copy(x[1:], x[:3])
		copy(y[1:], y[:3])
		x[0] = rng.NormFloat64()
		y[0] = b[0]*x[0] + b[1]*x[1] + b[2]*x[2] + b[3]*x[3] - a[1]*y[1] - a[2]*y[2] - a[3]*y[3]
		return y[0]
	}
	// The filter's output RMS, measured once on a warm-up stretch.
	var e float64
	for range 80000 {
		v := step()
		e += v * v
	}
	scale := dbfsRMS(db) / math.Sqrt(e/80000)
	return func(int) float64 { return scale * step() }
}

func silence(int) float64 { return 0 }

// namedSignal is a test's signal and what to call it.
type namedSignal struct {
	name string
	gen  func(int) float64
}

// then plays first for frames frames, then second from its own start.
func then(first func(int) float64, frames int, second func(int) float64) func(int) float64 {
	return func(n int) float64 {
		if n < frames*FrameSamples {
			return first(n)
		}
		return second(n - frames*FrameSamples)
	}
}

// vadDecisions encodes frames frames of gen with DTX and says which were
// sent as voice.
func vadDecisions(t *testing.T, gen func(int) float64, frames int) []bool {
	t.Helper()
	e := NewEncoderDTX()
	pcm := make([]int16, FrameSamples)
	out := make([]byte, FrameBytes)
	voice := make([]bool, frames)
	for f := range frames {
		for i := range pcm {
			pcm[i] = int16(max(-32768, min(32767, math.Round(gen(f*FrameSamples+i)))))
		}
		n, err := e.Encode(out, pcm)
		if err != nil {
			t.Fatal(err)
		}
		voice[f] = n == FrameBytes
	}
	return voice
}

// TestVADKeepsSoundThatStartsTheCall: a tone, hold music or a vowel from
// the call's first frame is voice from that frame and stays voice (the
// old detector took its noise floor from the first frame and sent a
// steady tone to DTX within 0.2 s).
func TestVADKeepsSoundThatStartsTheCall(t *testing.T) {
	const frames = 300 // 3 s
	cases := []namedSignal{
		{"tone 1 kHz at -20 dBFS", tone(1000, -20)},
		{"tone 440 Hz at -35 dBFS", tone(440, -35)},
		{"tone 2.6 kHz at -10 dBFS", tone(2600, -10)},
		{"music-like chord at -25 dBFS", musicLike(-25)},
		{"music-like chord at -40 dBFS", musicLike(-40)},
		{"vowel-like at -22 dBFS", vowelLike(-22)},
		{"white noise at -12 dBFS (too loud to be background)", whiteNoise(-12, 3)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			voice := vadDecisions(t, c.gen, frames)
			for f, v := range voice {
				if !v {
					t.Fatalf("frame %d (%d ms) not sent as voice", f, f*10)
				}
			}
		})
	}
}

// TestVADSendsBackgroundToDTX: a background of white or pink noise at
// -30 to -50 dBFS, or digital silence, from the call's start goes to
// SID/DTX within 12 frames (the first 5 frames are voice, then 60 ms of
// hangover, as before) and stays there.
func TestVADSendsBackgroundToDTX(t *testing.T) {
	const frames, within = 300, 12
	cases := []namedSignal{
		{"digital silence", silence},
		{"white noise at -30 dBFS", whiteNoise(-30, 1)},
		{"white noise at -40 dBFS", whiteNoise(-40, 2)},
		{"white noise at -50 dBFS", whiteNoise(-50, 3)},
		{"pink noise at -30 dBFS", pinkNoise(-30, 4)},
		{"pink noise at -40 dBFS", pinkNoise(-40, 5)},
		{"pink noise at -50 dBFS", pinkNoise(-50, 6)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			voice := vadDecisions(t, c.gen, frames)
			toDTX := -1
			for f, v := range voice {
				if !v {
					toDTX = f
					break
				}
			}
			sent := 0
			for _, v := range voice[within:] {
				if v {
					sent++
				}
			}
			t.Logf("%s: to DTX at frame %d (%d ms); %d of the %d frames after frame %d sent as voice",
				c.name, toDTX, toDTX*10, sent, frames-within, within)
			if toDTX < 0 || toDTX > within {
				t.Errorf("to DTX at frame %d, want by frame %d", toDTX, within)
			}
			if sent > (frames-within)/50 {
				t.Errorf("%d frames of background sent as voice after DTX began", sent)
			}
		})
	}
}

// TestVADOnsetAfterBackground: a sound after a second of background is
// voice from its first frame, or at most one frame (10 ms) later.
func TestVADOnsetAfterBackground(t *testing.T) {
	const lead, frames = 100, 160
	backgrounds := []namedSignal{
		{"digital silence", silence},
		{"white noise at -45 dBFS", whiteNoise(-45, 7)},
		{"pink noise at -40 dBFS", pinkNoise(-40, 8)},
	}
	sounds := []namedSignal{
		{"vowel-like at -22 dBFS", vowelLike(-22)},
		{"vowel-like at -35 dBFS", vowelLike(-35)},
		{"tone 1 kHz at -30 dBFS", tone(1000, -30)},
	}
	for _, b := range backgrounds {
		for _, s := range sounds {
			t.Run(s.name+" after "+b.name, func(t *testing.T) {
				// The background goes on under the sound, which starts at
				// its own sample 0 (with its attack).
				mixed := func(n int) float64 { return b.gen(n+lead*FrameSamples) + s.gen(n) }
				voice := vadDecisions(t, then(b.gen, lead, mixed), frames)
				if voice[lead-1] {
					t.Fatalf("the background's last frame before the onset was sent as voice")
				}
				onset := -1
				for f := lead; f < frames; f++ {
					if voice[f] {
						onset = f - lead
						break
					}
				}
				t.Logf("%s after %s: voice %d frames after the onset (%d ms)", s.name, b.name, onset, onset*10)
				if onset < 0 || onset > 1 {
					t.Fatalf("onset detected %d frames late, want at most 1", onset)
				}
				for f := lead + onset; f < frames; f++ {
					if !voice[f] {
						t.Fatalf("frame %d of the sound not sent as voice", f-lead)
					}
				}
			})
		}
	}
}

// FuzzEncodeDTX: arbitrary PCM through the DTX encoder (its VAD's
// energies and prediction gain) never panics, and every frame comes out
// as a voice frame, a SID or nothing.
func FuzzEncodeDTX(f *testing.F) {
	f.Add(make([]byte, 2*FrameSamples))
	full := make([]byte, 2*FrameSamples)
	for i := range full {
		full[i] = byte(i * 37)
	}
	f.Add(full)
	f.Fuzz(func(t *testing.T, raw []byte) {
		e := NewEncoderDTX()
		pcm := make([]int16, FrameSamples)
		out := make([]byte, FrameBytes)
		for off := 0; off+2*FrameSamples <= len(raw) && off < 2*FrameSamples*16; off += 2 * FrameSamples {
			for i := range pcm {
				pcm[i] = int16(uint16(raw[off+2*i]) | uint16(raw[off+2*i+1])<<8)
			}
			n, err := e.Encode(out, pcm)
			if err != nil || (n != FrameBytes && n != SIDBytes && n != 0) {
				t.Fatalf("encode: %d, %v", n, err)
			}
		}
	})
}

// TestVADNoiseFloorTracking: the floor drops to a quieter frame at once,
// climbs at most 0.05 dB a frame through noise-like sound, never moves
// up for a tonal frame, and stays between -65 and -28 dBFS.
func TestVADNoiseFloorTracking(t *testing.T) {
	dbfs := func(db int32) int32 { return fullScaleDBQ10 + db<<10 }
	steps := []struct {
		name    string
		energy  int32 // dBFS
		quiet   bool  // under vadQuietDBQ10
		tonal   bool
		wantQ10 int32
	}{
		{"a loud noise-like start is held at the ceiling", -10, false, false, dbfs(-28)},
		{"a quieter frame: down at once", -40, false, false, dbfs(-40)},
		{"louder noise: up by 0.05 dB", -20, false, false, dbfs(-40) + vadFloorRiseQ10},
		{"a loud tone: the floor stays", -15, false, true, dbfs(-40) + vadFloorRiseQ10},
		{"digital silence: down to the floor's bottom", -90, true, false, dbfs(-65)},
	}
	var v vadState
	for _, s := range steps {
		v.track(dbfs(s.energy), s.quiet, s.tonal)
		if v.floorQ10 != s.wantQ10 {
			t.Errorf("%s: floor %.2f dBFS, want %.2f", s.name,
				float64(v.floorQ10-fullScaleDBQ10)/1024, float64(s.wantQ10-fullScaleDBQ10)/1024)
		}
	}
	// A call that opens with tones only assumes a quiet line under them.
	var tones vadState
	tones.track(dbfs(-20), false, true)
	if tones.floorQ10 != dbfs(-65) || tones.floorSet {
		t.Errorf("tones only: floor %.2f dBFS (set %v), want -65 and still unset",
			float64(tones.floorQ10-fullScaleDBQ10)/1024, tones.floorSet)
	}
}
