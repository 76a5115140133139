package media

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/openbpclient/bpclient/audio/dsp"
)

// A simulated receive path: the engine's receive statistics, jitter
// buffer and player on a fake clock, fed an arrival pattern. The sender
// sends frame i at i·20 ms; a pattern says when (and whether, and with
// which sequence number) each arrives. The player's step runs every
// 20 ms, after the packets due by then, as the media clock runs it.

// arrival is one packet as it reaches the receiver.
type arrival struct {
	frame int           // the sender's frame (what it carries)
	sent  time.Duration // when the sender sent it
	seq   uint16        // its sequence number
	ssrc  uint32        // its SSRC
	at    time.Duration // when it arrives, from the sender's start
}

// frameDecoder decodes the simulation's payloads, a frame number then
// 16-bit PCM, and notes the frames it decoded.
type frameDecoder struct{ decoded *[]int }

func (d frameDecoder) Decode(dst []int16, payload []byte) (int, error) {
	*d.decoded = append(*d.decoded, int(binary.BigEndian.Uint32(payload)))
	n := (len(payload) - 4) / 2
	for i := 0; i < n; i++ {
		dst[i] = int16(binary.LittleEndian.Uint16(payload[4+2*i:]))
	}
	return n, nil
}

// simSignal is what the sender says: frame i's samples.
type simSignal func(frame int) []int16

// toneSignal is a continuous tone of freq Hz at amplitude amp.
func toneSignal(freq, amp float64) simSignal {
	return func(frame int) []int16 {
		out := make([]int16, 160)
		for k := range out {
			n := float64(frame*160 + k)
			out[k] = int16(amp * math.Sin(2*math.Pi*freq*n/8000))
		}
		return out
	}
}

// talkSignal is a tone in talk spurts: on for on frames, then off
// frames of silence.
func talkSignal(freq, amp float64, on, off int) simSignal {
	tone := toneSignal(freq, amp)
	return func(frame int) []int16 {
		if frame%(on+off) >= on {
			return make([]int16, 160)
		}
		return tone(frame)
	}
}

func talking(frame, on, off int) bool { return frame%(on+off) < on }

// simResult is what the simulation played.
type simResult struct {
	out [][]int16 // every frame the speaker got, from the first
	// decodedAt lists, for each frame period from the first played, the
	// sender's frames decoded in it (two when one was dropped).
	decodedAt [][]int
	// delay is, for each frame period that played a frame, from the
	// frame's sending to its playing.
	delay []time.Duration
	// gaps counts the frame periods, from the first played to the last
	// packet's arrival, in which the speaker got nothing.
	gaps int
	// stats are the engine's counters when the last frame played (the
	// stream's end is concealed after it), or at the end.
	stats MediaStats
	ended bool
	m     *Session
}

// simulate plays the arrivals over periods frame periods of the media
// clock, whose ticks fall phase after the sender's frame boundaries.
func simulate(t *testing.T, arrivals []arrival, signal simSignal, periods int, phase time.Duration) simResult {
	t.Helper()
	return simulateTicks(t, arrivals, signal, periods, phase, 0)
}

// simulateTicks is simulate with the clock's wake-ups off by up to
// ±tickJitter (seeded), as a loaded machine's timers are.
func simulateTicks(t *testing.T, arrivals []arrival, signal simSignal, periods int, phase, tickJitter time.Duration) simResult {
	t.Helper()
	rng := rand.New(rand.NewPCG(99, 3))
	sort.SliceStable(arrivals, func(a, b int) bool { return arrivals[a].at < arrivals[b].at })
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	clock := newFakeClock(t0)
	m := New("sim", nil, nil, Options{Clock: clock})
	var decoded []int
	sink := &frameSink{}
	m.dec, m.frame, m.audio.Sink = frameDecoder{&decoded}, 160, sink
	m.rx.clockRate = 8000
	play := m.newPlayer()
	var r simResult
	payload := make([]byte, 4+320)
	sent := map[int]time.Duration{}
	for _, a := range arrivals {
		sent[a.frame] = a.sent
	}
	next := 0
	started := false
	for tick := 0; tick < periods; tick++ {
		now := time.Duration(tick)*frameDur + phase
		if tickJitter > 0 {
			now += time.Duration(rng.Int64N(int64(2*tickJitter))) - tickJitter
		}
		for ; next < len(arrivals) && arrivals[next].at <= now; next++ {
			a := arrivals[next]
			binary.BigEndian.PutUint32(payload, uint32(a.frame))
			for k, v := range signal(a.frame) {
				binary.LittleEndian.PutUint16(payload[4+2*k:], uint16(v))
			}
			pkt := rtp.Packet{Header: rtp.Header{SSRC: a.ssrc, SequenceNumber: a.seq, Timestamp: uint32(a.frame) * 160}}
			m.mu.Lock()
			m.updateRxLocked(&pkt, t0.Add(a.at))
			m.jb.push(a.seq, payload, t0.Add(a.at))
			m.mu.Unlock()
		}
		clock.advance(t0.Add(now).Sub(clock.Now()))
		before, frames := len(decoded), sink.count()
		play()
		if sink.count() > frames {
			started = true
		}
		if !started {
			continue
		}
		if sink.count() == frames && next < len(arrivals) {
			r.gaps++
		}
		if next == len(arrivals) && m.jb.depth() == 0 && !r.ended {
			// The last frame played: what follows is the stream's end.
			r.stats, r.ended = m.Stats(), true
		}
		got := append([]int(nil), decoded[before:]...)
		r.decodedAt = append(r.decodedAt, got)
		if len(got) > 0 {
			r.delay = append(r.delay, now-sent[got[len(got)-1]])
		}
	}
	r.out, r.m = sink.played(), m
	if !r.ended {
		r.stats = m.Stats()
	}
	return r
}

// cleanArrivals are frames first..last arriving base after sending,
// plus up to spread of seeded jitter, in order of sending.
func cleanArrivals(first, last int, base, spread time.Duration, seed uint64) []arrival {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []arrival
	for i := first; i <= last; i++ {
		j := time.Duration(0)
		if spread > 0 {
			j = time.Duration(rng.Int64N(int64(spread)))
		}
		sent := time.Duration(i) * frameDur
		out = append(out, arrival{frame: i, sent: sent, seq: uint16(1000 + i), ssrc: 7, at: sent + base + j})
	}
	return out
}

// toneCheck says how a played frame compares with the tone: its level
// against the tone's and how much of it is the tone.
func toneCheck(f []int16, freq, amp float64) (level, purity float64) {
	e := dsp.RMS(f)
	if e == 0 {
		return 0, 0
	}
	return e * 32768 / (amp / math.Sqrt2), dsp.Goertzel(f, freq, 8000) / (e * math.Sqrt2)
}

// brokenFrames counts the played frames of a steady tone that are not
// the tone at its level (below half the level, or less than 80% tone),
// and the longest run of such frames.
func brokenFrames(out [][]int16, freq, amp float64) (broken, longest int) {
	run := 0
	for _, f := range out {
		level, purity := toneCheck(f, freq, amp)
		if level < 0.5 || purity < 0.8 {
			broken++
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return broken, longest
}

func meanDelay(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	var s time.Duration
	for _, v := range d {
		s += v
	}
	return s / time.Duration(len(d))
}

func quantileDelay(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// count is the number of frames played so far.
func (s *frameSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.frames)
}

// talkHeard counts the frame periods whose sound is wrong for a talk
// signal: a talk frame that is not the tone at its level, a pause frame
// that is not quiet (a millisecond's tail of the tone cross-faded into
// it is), and an inserted or concealed frame that is neither quiet nor
// the tone (fading is allowed: a long stall fades).
func talkHeard(t *testing.T, r simResult, on, off int) (wrong int) {
	t.Helper()
	for p := range r.decodedAt {
		if p >= len(r.out)-10 {
			break
		}
		level, purity := toneCheck(r.out[p], simTone, simAmp)
		tone := level >= 0.5 && purity >= 0.8
		quiet := level < 0.2
		ok := purity >= 0.8 || quiet
		if got := r.decodedAt[p]; len(got) > 0 {
			if talking(got[len(got)-1], on, off) {
				ok = tone
			} else {
				ok = quiet
			}
		}
		if !ok {
			wrong++
			if wrong <= 5 {
				t.Logf("period %d: level %.2f, tone %.2f, decoded %v", p, level, purity, r.decodedAt[p])
			}
		}
	}
	return wrong
}
