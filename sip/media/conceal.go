package media

import (
	"math"

	"github.com/openbpclient/bpclient/audio/codec"
)

// Concealment of the generic kind (for codecs without their own: G.711,
// G.722), written after the method of ITU-T G.711 Appendix I: the lost
// audio continues the waveform by repeating its last pitch period,
// one period at first, then two, then three (so that a long loss does
// not buzz), each repetition's seam smoothed by an overlap-add of a
// quarter period. Unlike Appendix I it plays at full level for the
// first 60 ms of a loss and fades over a long one only, to comfort
// noise at the level of the recent background by 200 ms; and it adds no
// delay: the first synthetic sample follows the last real one.
const (
	concealHistoryMs  = 50 // three periods of 66 Hz speech and a quarter
	concealFullMs     = 60
	concealFadeEndMs  = 200
	pitchMinMs        = 2.5 // 400 Hz
	pitchMaxMs        = 15  // 66 Hz
	pitchWindowMs     = 10
	joinMaxMs         = 10
	joinFadedMs       = 4
	comfortNoiseMax   = 200 // RMS: a background above this is not noise
	quietFloor        = 60  // RMS below which a frame is quiet whatever the background
	quietCeiling      = 400 // RMS above which a frame is never quiet
	backgroundRiseFor = 1.01
)

// concealer fills lost frames and joins the returning audio to them
// with a cross-fade. It keeps the recent output as history.
type concealer struct {
	hist   []int16 // the newest output, oldest first, concealHistoryMs at rate
	frozen []int16 // hist when the run began: what the run repeats
	filled int     // samples of hist that are real output
	rate   int     // of the frames seen (frame length · 50)
	room   int     // samples the buffers can hold (at the largest frame)

	run     int     // frames concealed in a row (0: real audio plays)
	elapsed int     // samples synthesised in this run
	period  int     // pitch period of the run
	periods int     // periods repeated now (1 to maxPeriods)
	most    int     // periods the run may grow to
	cyc     []int16 // the cycle repeated, seam smoothed
	cycLen  int
	pos     int  // next sample of cyc
	rejoin  bool // a frame was dropped: cross-fade into the next

	background float64 // RMS of the quietest recent frames
	lastRMS    float64
	noise      uint32 // comfort noise generator state (xorshift)
	synth      []int16
}

func newConcealer(maxFrame int) *concealer {
	h := maxFrame * concealHistoryMs / 20
	return &concealer{hist: make([]int16, h), frozen: make([]int16, h), cyc: make([]int16, h), room: h, synth: make([]int16, maxFrame), noise: 0x9e3779b9}
}

// setFrame sizes the history for frames of frame samples (20 ms): a
// new rate starts it over.
func (c *concealer) setFrame(frame int) {
	if r := frame * 50; r != c.rate {
		h := min(c.room, frame*concealHistoryMs/20)
		c.rate, c.filled, c.run, c.cycLen = r, 0, 0, 0
		c.hist, c.frozen, c.cyc = c.hist[:h], c.frozen[:h], c.cyc[:h]
		clear(c.hist)
	}
}

func (c *concealer) ms(v float64) int { return int(v * float64(c.rate) / 1000) }

// quiet reports whether the last frame played was quiet: a frame
// inserted or dropped now is not heard.
func (c *concealer) quiet() bool { return c.isQuiet(c.lastRMS) }

func (c *concealer) isQuiet(rms float64) bool {
	return rms < max(quietFloor, min(quietCeiling, 2*min(c.background, comfortNoiseMax)))
}

// frameQuiet reports whether pcm is quiet against the background.
func (c *concealer) frameQuiet(pcm []int16) bool { return c.isQuiet(rmsOf(pcm)) }

// dropped says the frame before the next good one was dropped: the
// next is cross-faded in from the waveform's continuation.
func (c *concealer) dropped() { c.rejoin = true }

// good takes a frame decoded from a packet, cross-faded in place from
// the concealment's continuation when one was playing.
func (c *concealer) good(pcm []int16) {
	c.setFrame(len(pcm))
	if c.rejoin && c.run == 0 && c.filled >= len(c.hist) {
		c.startRun()
		c.run = 1
	}
	if c.run > 0 && c.cycLen > 0 {
		// Appendix I lengthens the overlap-add with the loss, as the
		// continuation drifts from the real waveform; once faded, the
		// continuation is noise, and a short fade-in is the join.
		limit := c.ms(joinMaxMs)
		if c.elapsed > c.ms(concealFullMs) {
			limit = c.ms(joinFadedMs)
		}
		join := min(c.period/4+c.ms(4)*(c.run-1), limit, len(pcm))
		join = max(join, min(c.ms(1), len(pcm)))
		c.synthesize(c.synth[:join])
		for i := 0; i < join; i++ {
			w := float64(i+1) / float64(join+1)
			pcm[i] = clip16((1-w)*float64(c.synth[i]) + w*float64(pcm[i]))
		}
	}
	c.run, c.rejoin, c.cycLen = 0, false, 0
	r := rmsOf(pcm)
	c.lastRMS = r
	switch {
	case c.background == 0 || r < c.background:
		c.background = (c.background + r) / 2
	default:
		c.background = min(r, c.background*backgroundRiseFor)
	}
	c.remember(pcm)
}

// conceal fills pcm[:frame] for a missing frame and returns the samples
// to play: the codec's own concealment when it has one.
func (c *concealer) conceal(dec codec.Decoder, pcm []int16, frame int) int {
	if cc, ok := dec.(codec.Concealer); ok {
		c.run++
		if k, err := cc.Conceal(pcm[:frame]); err == nil {
			return k
		}
		clear(pcm[:frame])
		return frame
	}
	c.setFrame(frame)
	if c.run == 0 {
		c.startRun()
	}
	c.run++
	c.synthesize(pcm[:frame])
	c.lastRMS = rmsOf(pcm[:frame])
	c.remember(pcm[:frame])
	return frame
}

// startRun begins a concealment: the pitch period of the history, and
// the cycle of one period to repeat.
func (c *concealer) startRun() {
	c.elapsed, c.pos, c.periods, c.most = 0, 0, 1, 3
	if c.filled < len(c.hist) || c.rate == 0 {
		c.cycLen, c.period = 0, 0 // too little history: comfort noise only
		return
	}
	copy(c.frozen, c.hist)
	win := c.ms(pitchWindowMs)
	if c.isQuiet(rmsOf(c.frozen[len(c.frozen)-win:])) {
		// A pause has no pitch: repeat its last few milliseconds,
		// never reaching back into the sound before it.
		c.period, c.most = c.ms(pitchMinMs), 1
	} else {
		c.period = pitchPeriod(c.frozen, c.ms(pitchMinMs), c.ms(pitchMaxMs), win)
	}
	c.buildCycle()
}

// buildCycle makes cyc the last periods·period samples of the history
// as the run began,
// with the cycle's last quarter period cross-faded into the samples
// that precede its start, so that the repetition's seam is smooth.
func (c *concealer) buildCycle() {
	n, h := c.periods*c.period, len(c.frozen)
	q := c.period / 4
	copy(c.cyc[:n], c.frozen[h-n:])
	for i := 0; i < q; i++ {
		w := float64(i+1) / float64(q+1)
		c.cyc[n-q+i] = clip16((1-w)*float64(c.frozen[h-q+i]) + w*float64(c.frozen[h-n-q+i]))
	}
	c.cycLen = n
}

// synthesize writes the continuation of the waveform: the cycle at
// full level for concealFullMs, then fading into comfort noise by
// concealFadeEndMs.
func (c *concealer) synthesize(out []int16) {
	full, end := c.ms(concealFullMs), c.ms(concealFadeEndMs)
	noiseRMS := min(c.background, comfortNoiseMax)
	for i := range out {
		// One period for the first 10 ms, two to 20 ms, then three
		// (Appendix I): the same phase, one period further back.
		if c.cycLen > 0 && c.periods < c.most && c.elapsed == c.ms(10)*c.periods && (c.periods+1)*c.period+c.period/4 <= len(c.hist) {
			c.periods++
			c.pos += c.period
			c.buildCycle()
		}
		var v float64
		if c.cycLen > 0 && c.elapsed < end {
			g := 1.0
			if c.elapsed > full {
				g = 1 - float64(c.elapsed-full)/float64(end-full)
			}
			v = g * float64(c.cyc[c.pos%c.cycLen])
			v += (1 - g) * noiseRMS * c.nextNoise()
			c.pos = (c.pos + 1) % c.cycLen
		} else {
			v = noiseRMS * c.nextNoise()
		}
		out[i] = clip16(v)
		c.elapsed++
	}
}

// nextNoise is uniform noise of unit RMS.
func (c *concealer) nextNoise() float64 {
	x := c.noise
	x ^= x << 13
	x ^= x >> 17
	x ^= x << 5
	c.noise = x
	return (float64(x)/float64(math.MaxUint32)*2 - 1) * math.Sqrt(3)
}

// remember appends the played frame to the history.
func (c *concealer) remember(pcm []int16) {
	h := len(c.hist)
	if len(pcm) >= h {
		copy(c.hist, pcm[len(pcm)-h:])
	} else {
		copy(c.hist, c.hist[len(pcm):])
		copy(c.hist[h-len(pcm):], pcm)
	}
	c.filled = min(h, c.filled+len(pcm))
}

// pitchPeriod is the lag, between minP and maxP samples, at which the
// last win samples of h best match the win samples before them
// (normalised cross-correlation); h holds at least win+maxP samples.
func pitchPeriod(h []int16, minP, maxP, win int) int {
	end := len(h)
	maxP = min(maxP, end-win)
	best, bestScore := minP, math.Inf(-1)
	for p := minP; p <= maxP; p++ {
		var xy, yy int64
		for i := end - win; i < end; i++ {
			x, y := int64(h[i]), int64(h[i-p])
			xy += x * y
			yy += y * y
		}
		if yy == 0 {
			continue
		}
		if s := float64(xy) / math.Sqrt(float64(yy)); s > bestScore {
			best, bestScore = p, s
		}
	}
	return best
}

func rmsOf(pcm []int16) float64 {
	if len(pcm) == 0 {
		return 0
	}
	var s float64
	for _, v := range pcm {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(pcm)))
}

func clip16(v float64) int16 {
	return int16(max(-32768, min(32767, math.Round(v))))
}
