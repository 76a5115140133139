package sip_test

import (
	"fmt"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/openbpclient/bpclient/audio/codec"
	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/internal/siptest"
)

// Judging a playout of the test signal (jitter_e2e_test.go): broken
// windows, inserted silence and the delay of its markers.
// rxNumbers are one receiver's figures over a call.
type rxNumbers struct {
	windows, broken int
	silence         time.Duration
	delays          []time.Duration
}

func (n rxNumbers) brokenPct() float64 {
	if n.windows == 0 {
		return 100
	}
	return float64(n.broken) * 100 / float64(n.windows)
}

func (n rxNumbers) delay(q float64) time.Duration {
	if len(n.delays) == 0 {
		return 0
	}
	d := append([]time.Duration(nil), n.delays...)
	sort.Slice(d, func(a, b int) bool { return d[a] < d[b] })
	if q < 0 { // the mean
		var s time.Duration
		for _, v := range d {
			s += v
		}
		return s / time.Duration(len(d))
	}
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

func (n rxNumbers) String() string {
	return fmt.Sprintf("broken %d of %d windows (%.2f%%), inserted silence %v, delay mean %v p95 %v (%d markers)",
		n.broken, n.windows, n.brokenPct(), n.silence, n.delay(-1).Round(time.Millisecond), n.delay(0.95).Round(time.Millisecond), len(n.delays))
}

// markerSent lists when each marker's packet reached the relay, from
// the sender's packets in the relay's log.
func markerSent(t *testing.T, log []siptest.RelayEvent, fromPhone bool) []time.Time {
	t.Helper()
	var out []time.Time
	for _, f := range decodeRelayed(t, log, fromPhone) {
		if dsp.Goertzel(f.pcm, jtMarker, jtRate) > jtAmp/2 {
			out = append(out, f.at)
		}
	}
	return out
}

// decodeRelayed decodes the PCMU packets of one direction of the log,
// in order of arrival, each at the time it reached the relay.
func decodeRelayed(t *testing.T, log []siptest.RelayEvent, fromPhone bool) []playedFrame {
	t.Helper()
	c, err := codec.Lookup("PCMU", 8000)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := c.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	var out []playedFrame
	var pkt rtp.Packet
	for _, ev := range log {
		if ev.FromPhone != fromPhone || pkt.Unmarshal(ev.Data) != nil || pkt.PayloadType != 0 {
			continue
		}
		pcm := make([]int16, len(pkt.Payload))
		n, err := dec.Decode(pcm, pkt.Payload)
		if err != nil {
			continue
		}
		out = append(out, playedFrame{ev.At, pcm[:n]})
	}
	return out
}

// judgePlayout works out a receiver's figures from its playout between
// from and to, the markers having been sent at sent.
func judgePlayout(played []playedFrame, sent []time.Time, from, to time.Time) rxNumbers {
	var n rxNumbers
	// Marker starts: the first 10 ms window (5 ms steps) mostly at the
	// marker's frequency after at least 200 ms without.
	var onsets []time.Time
	last := time.Time{}
	for _, f := range played {
		for k := 0; k+80 <= len(f.pcm); k += 40 {
			w := f.pcm[k : k+80]
			if g := dsp.Goertzel(w, jtMarker, jtRate); g > jtAmp/2 && g > dsp.Goertzel(w, jtTone, jtRate) {
				at := f.at.Add(time.Duration(k) * time.Second / jtRate)
				if at.Sub(last) > 200*time.Millisecond {
					onsets = append(onsets, at)
				}
				last = at
			}
		}
	}
	for _, o := range onsets {
		if o.Before(from) || o.After(to) {
			continue
		}
		i := sort.Search(len(sent), func(i int) bool { return sent[i].After(o) }) - 1
		if i >= 0 && o.Sub(sent[i]) < time.Second {
			n.delays = append(n.delays, o.Sub(sent[i]))
		}
	}
	// Windows near a marker (where it played, or would have) are not
	// judged: the marker is not the tone.
	typical := n.delay(0.5)
	near := func(at time.Time) bool {
		for _, o := range onsets {
			if d := at.Sub(o); d > -40*time.Millisecond && d < 60*time.Millisecond {
				return true
			}
		}
		i := sort.Search(len(sent), func(i int) bool { return sent[i].Add(typical).After(at) })
		for _, k := range []int{i - 1, i} {
			if k >= 0 && k < len(sent) {
				if d := at.Sub(sent[k].Add(typical)); d > -60*time.Millisecond && d < 100*time.Millisecond {
					return true
				}
			}
		}
		return false
	}
	ref := jtAmp * 32767 / math.Sqrt2
	frames := 0
	for _, f := range played {
		if f.at.Before(from) || f.at.After(to) {
			continue
		}
		frames++
		if near(f.at) {
			continue
		}
		n.windows++
		rms := dsp.RMS(f.pcm) * 32768
		tone := 0.0
		if rms > 0 {
			tone = dsp.Goertzel(f.pcm, jtTone, jtRate) / (dsp.RMS(f.pcm) * math.Sqrt2)
		}
		if rms < 0.5*ref || tone < 0.8 {
			n.broken++
		}
		if rms < 0.1*ref {
			n.silence += 20 * time.Millisecond
		}
	}
	// Frame periods nothing was played in are silence too.
	if missing := int(to.Sub(from)/(20*time.Millisecond)) - frames; missing > 0 {
		n.silence += time.Duration(missing) * 20 * time.Millisecond
		n.broken += missing
		n.windows += missing
	}
	return n
}
