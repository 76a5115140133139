package dsp

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Tone is a call-progress or DTMF signal: one or two sines played with a
// cadence. Levels are in dBm0 per frequency, as telephone tone plans give
// them; 0 dBm0 is a sine 3.14 dB below digital full scale (G.711).
type Tone struct {
	Name    string
	Freqs   [2]float64      // Hz; 0 leaves a component out
	Levels  [2]float64      // dBm0 per component
	Cadence []time.Duration // on, off, on, off, ...; empty plays continuously
	Once    bool            // play the cadence once, then end; otherwise repeat
}

// ToneSet is one country's call-progress tones.
type ToneSet struct {
	Country     string
	Dial        Tone
	Ringback    Tone
	Busy        Tone
	Congestion  Tone // reorder, "all circuits busy"
	CallWaiting Tone
}

const ms = time.Millisecond

func cadence(d ...time.Duration) []time.Duration { return d }

// NorthAmerica is the default set: ANSI T1.401 / Telcordia precise tones.
var NorthAmerica = ToneSet{
	Country:     "us",
	Dial:        Tone{Name: "dial", Freqs: [2]float64{350, 440}, Levels: [2]float64{-13, -13}},
	Ringback:    Tone{Name: "ringback", Freqs: [2]float64{440, 480}, Levels: [2]float64{-19, -19}, Cadence: cadence(2000*ms, 4000*ms)},
	Busy:        Tone{Name: "busy", Freqs: [2]float64{480, 620}, Levels: [2]float64{-24, -24}, Cadence: cadence(500*ms, 500*ms)},
	Congestion:  Tone{Name: "congestion", Freqs: [2]float64{480, 620}, Levels: [2]float64{-24, -24}, Cadence: cadence(250*ms, 250*ms)},
	CallWaiting: Tone{Name: "call-waiting", Freqs: [2]float64{440}, Levels: [2]float64{-13}, Cadence: cadence(300*ms, 9700*ms)},
}

// Europe is the ITU-T E.180 / CEPT set most of Europe (and many other
// countries) use: a single 425 Hz tone in different cadences.
var Europe = ToneSet{
	Country:     "eu",
	Dial:        Tone{Name: "dial", Freqs: [2]float64{425}, Levels: [2]float64{-10}},
	Ringback:    Tone{Name: "ringback", Freqs: [2]float64{425}, Levels: [2]float64{-10}, Cadence: cadence(1000*ms, 4000*ms)},
	Busy:        Tone{Name: "busy", Freqs: [2]float64{425}, Levels: [2]float64{-10}, Cadence: cadence(500*ms, 500*ms)},
	Congestion:  Tone{Name: "congestion", Freqs: [2]float64{425}, Levels: [2]float64{-10}, Cadence: cadence(250*ms, 250*ms)},
	CallWaiting: Tone{Name: "call-waiting", Freqs: [2]float64{425}, Levels: [2]float64{-10}, Cadence: cadence(200*ms, 200*ms, 200*ms, 9400*ms)},
}

// Tones returns the tone set of a country: "us" (also "na", "ca", and
// the default for ""), or "eu" (also "itu", "cept"). Other countries
// fall back to an error so the caller can choose.
func Tones(country string) (ToneSet, error) {
	switch strings.ToLower(country) {
	case "", "us", "na", "ca":
		return NorthAmerica, nil
	case "eu", "itu", "cept":
		return Europe, nil
	}
	return ToneSet{}, fmt.Errorf("tones for %q: unknown country (have us, eu)", country)
}

// DTMF frequencies (ITU-T Q.23): rows 697, 770, 852, 941 Hz; columns
// 1209, 1336, 1477, 1633 Hz.
var (
	dtmfRows = [4]float64{697, 770, 852, 941}
	dtmfCols = [4]float64{1209, 1336, 1477, 1633}
	dtmfKeys = [4]string{"123A", "456B", "789C", "*0#D"}
)

// DTMFFreqs returns the row and column frequency of a key (0-9, *, #,
// A-D).
func DTMFFreqs(key rune) (low, high float64, err error) {
	if key >= 'a' && key <= 'd' {
		key -= 'a' - 'A'
	}
	for r, row := range dtmfKeys {
		if c := strings.IndexRune(row, key); c >= 0 {
			return dtmfRows[r], dtmfCols[c], nil
		}
	}
	return 0, 0, fmt.Errorf("dtmf key %q: not one of 0-9 * # A-D", key)
}

// DTMF returns the feedback tone of a key: the two frequencies at -10 and
// -8 dBm0 (the high group 2 dB louder, as Q.24 allows) for d, played once.
func DTMF(key rune, d time.Duration) (Tone, error) {
	lo, hi, err := DTMFFreqs(key)
	if err != nil {
		return Tone{}, err
	}
	return Tone{Name: "dtmf " + string(key), Freqs: [2]float64{lo, hi}, Levels: [2]float64{-10, -8},
		Cadence: cadence(d), Once: true}, nil
}

// dBm0 to linear peak amplitude (1.0 = full scale).
func dBm0(level float64) float64 { return math.Pow(10, (level-3.14)/20) }

// rampTime is the raised-cosine fade at each start and stop of a burst,
// so cadences do not click.
const rampTime = 4 * time.Millisecond

// ToneGen plays a Tone at a sample rate, frame by frame, without
// allocating. Not safe for concurrent use.
type ToneGen struct {
	step  [2]float64 // phase increment per sample
	amp   [2]float64
	phase [2]float64
	segs  []int // cadence in samples; empty = continuous
	once  bool
	seg   int // current segment
	pos   int // samples into it
	ramp  int
	done  bool
}

// NewToneGen returns a generator for t at rate Hz.
func NewToneGen(t Tone, rate int) (*ToneGen, error) {
	if rate <= 0 {
		return nil, fmt.Errorf("tone %q: rate %d", t.Name, rate)
	}
	g := &ToneGen{once: t.Once, ramp: int(rampTime.Seconds() * float64(rate))}
	for i, f := range t.Freqs {
		if f < 0 || f >= float64(rate)/2 {
			return nil, fmt.Errorf("tone %q: %.0f Hz does not fit %d Hz sampling", t.Name, f, rate)
		}
		if f > 0 {
			g.step[i] = 2 * math.Pi * f / float64(rate)
			g.amp[i] = dBm0(t.Levels[i])
		}
	}
	if len(t.Cadence) > 0 {
		g.segs = make([]int, len(t.Cadence))
		total := 0
		for i, d := range t.Cadence {
			g.segs[i] = int(d.Seconds() * float64(rate))
			total += g.segs[i]
		}
		if total == 0 {
			return nil, fmt.Errorf("tone %q: empty cadence", t.Name)
		}
	}
	return g, nil
}

// Done reports whether a tone played once has ended.
func (g *ToneGen) Done() bool { return g.done }

// Reset starts the tone again from the beginning of its cadence.
func (g *ToneGen) Reset() {
	g.seg, g.pos, g.done = 0, 0, false
	g.phase = [2]float64{}
}

// Read fills dst with the next samples of the tone and returns how many
// belong to it: len(dst), or fewer when a tone played once ends within
// dst (the rest of dst is silence then, and later reads return 0).
func (g *ToneGen) Read(dst []int16) int {
	n := 0
	for i := range dst {
		if g.done {
			dst[i] = 0
			continue
		}
		env := 1.0
		if len(g.segs) > 0 {
			for g.pos >= g.segs[g.seg] {
				g.pos = 0
				g.seg++
				if g.seg == len(g.segs) {
					g.seg = 0
					if g.once {
						g.done = true
						break
					}
				}
			}
			if g.done {
				dst[i] = 0
				continue
			}
			if g.seg%2 == 1 { // off
				dst[i] = 0
				g.pos++
				n++
				continue
			}
			env = g.envelope(g.pos, g.segs[g.seg])
			g.pos++
		}
		v := g.amp[0]*math.Sin(g.phase[0]) + g.amp[1]*math.Sin(g.phase[1])
		for k := range g.phase {
			g.phase[k] += g.step[k]
			if g.phase[k] >= 2*math.Pi {
				g.phase[k] -= 2 * math.Pi
			}
		}
		dst[i] = clamp16(v * env * 32767)
		n++
	}
	return n
}

// envelope is the raised-cosine fade in and out of a burst of length n.
func (g *ToneGen) envelope(pos, n int) float64 {
	r := min(g.ramp, n/2)
	switch {
	case r == 0:
		return 1
	case pos < r:
		return 0.5 - 0.5*math.Cos(math.Pi*float64(pos)/float64(r))
	case pos >= n-r:
		return 0.5 - 0.5*math.Cos(math.Pi*float64(n-pos)/float64(r))
	}
	return 1
}
