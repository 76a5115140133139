package media

import (
	"math/rand/v2"
	"testing"
	"time"
)

// The receive path on patterns of arrival (jitter_sim_test.go): what
// plays, judged by the audio, and when.

const (
	simTone = 1000.0
	simAmp  = 8000.0
)

// On a clean network (5 ms transit, up to 3 ms of jitter, the media
// clock's wake-ups off by up to 4 ms either way and falling amid the
// arrivals) every frame plays, none is concealed, and the delay stays
// low: a one-frame buffer here plays a frame that came a millisecond
// after its tick only after a refill, a 20 ms dropout.
func TestReceiveCleanNetworkPlaysEveryFrameAtLowDelay(t *testing.T) {
	const frames = 750 // 15 s
	arr := cleanArrivals(0, frames-1, 5*time.Millisecond, 3*time.Millisecond, 1)
	r := simulateTicks(t, arr, toneSignal(simTone, simAmp), frames+10, 10*time.Millisecond, 4*time.Millisecond)
	played := r.out[:len(r.out)-10] // the end of the stream is concealed
	broken, longest := brokenFrames(played, simTone, simAmp)
	mean, p95 := meanDelay(r.delay), quantileDelay(r.delay, 0.95)
	t.Logf("%d frames out, %d broken (longest run %d); delay send→play mean %v p95 %v; %+v", len(r.out), broken, longest, mean, p95, r.stats)
	if broken != 0 || r.gaps != 0 {
		t.Errorf("%d broken frames, %d frame periods with nothing played on a clean network, want none", broken, r.gaps)
	}
	if r.stats.Concealed != 0 || r.stats.Played < frames-2 {
		t.Errorf("played %d, concealed %d of %d frames; want all played", r.stats.Played, r.stats.Concealed, frames)
	}
	if p95 > 50*time.Millisecond {
		t.Errorf("p95 delay from sending to playing %v on a clean network, want at most 50 ms", p95)
	}
}

// A loss of up to three frames in a row plays as the tone at full level
// and continuous; a longer one fades only after 60 ms, and no gap is
// longer than the loss. The delay does not change across a loss.
func TestReceiveLossBurstsConcealedAtFullLevel(t *testing.T) {
	lost := map[int]bool{}
	bursts := []struct{ at, n int }{{100, 1}, {200, 2}, {300, 3}, {400, 5}, {500, 10}}
	for _, b := range bursts {
		for i := b.at; i < b.at+b.n; i++ {
			lost[i] = true
		}
	}
	var arr []arrival
	for _, a := range cleanArrivals(0, 699, 5*time.Millisecond, 2*time.Millisecond, 2) {
		if !lost[a.frame] {
			arr = append(arr, a)
		}
	}
	r := simulate(t, arr, toneSignal(simTone, simAmp), 700, 11*time.Millisecond)
	t.Logf("%+v", r.stats)
	// The frame periods of each burst: the first period that decoded
	// nothing after at-1.
	for _, b := range bursts {
		start := -1
		for p, got := range r.decodedAt {
			if len(got) > 0 && got[len(got)-1] == b.at-1 {
				start = p + 1
			}
		}
		if start < 0 {
			t.Fatalf("frame %d never played", b.at-1)
		}
		for k := 0; k < b.n; k++ {
			level, purity := toneCheck(r.out[start+k], simTone, simAmp)
			switch {
			case k < 3 && (level < 0.9 || purity < 0.9):
				t.Errorf("burst of %d at %d, lost frame %d: level %.2f, tone %.2f; want the tone at full level", b.n, b.at, k+1, level, purity)
			case k >= 3 && k*20 > 200 && level > 0.1:
				t.Errorf("burst of %d at %d, lost frame %d: level %.2f; want faded out after 200 ms", b.n, b.at, k+1, level)
			}
		}
		if got := r.decodedAt[start+b.n]; len(got) == 0 || got[0] != b.at+b.n {
			t.Errorf("burst of %d at %d: after %d frame periods decoded %v, want frame %d: the gap outlasted the loss", b.n, b.at, b.n, got, b.at+b.n)
		}
		level, purity := toneCheck(r.out[start+b.n], simTone, simAmp)
		if level < 0.9 || purity < 0.9 {
			t.Errorf("burst of %d at %d: the frame after it level %.2f tone %.2f: not a clean join", b.n, b.at, level, purity)
		}
	}
	if r.gaps != 0 {
		t.Errorf("%d frame periods with nothing played", r.gaps)
	}
	if got, want := r.stats.Concealed, len(lost); got != want {
		t.Errorf("concealed %d frames, want the %d lost", got, want)
	}
	if d0, d1 := r.delay[50], r.delay[len(r.delay)-50]; d1-d0 > frameDur || d0-d1 > frameDur {
		t.Errorf("delay %v before the losses, %v after: the losses moved it", d0, d1)
	}
}

// Reordered packets (from the second second on, each tenth pair
// swapped, the first 25 ms late) and
// duplicates (every seventh packet twice) play in order, once, with
// nothing concealed.
func TestReceiveReorderedAndDuplicatedPackets(t *testing.T) {
	arr := cleanArrivals(0, 499, 5*time.Millisecond, 0, 3)
	var dups []arrival
	for i := range arr {
		if i%10 == 5 && i > 50 {
			arr[i].at += 25 * time.Millisecond
		}
		if i%7 == 3 {
			d := arr[i]
			d.at += 3 * time.Millisecond
			dups = append(dups, d)
		}
	}
	arr = append(arr, dups...)
	r := simulate(t, arr, toneSignal(simTone, simAmp), 510, 9*time.Millisecond)
	played := r.out[:len(r.out)-10]
	broken, _ := brokenFrames(played, simTone, simAmp)
	t.Logf("broken %d; %+v", broken, r.stats)
	// The first swaps teach the buffer (the quantile leaves out the
	// latest 3%); after 4 s none is concealed.
	late := 0
	for p, got := range r.decodedAt[200 : len(r.decodedAt)-10] {
		if len(got) == 0 {
			late++
			t.Logf("period %d concealed", p+200)
		}
	}
	if broken != 0 || late > 0 || r.stats.Concealed > 3 {
		t.Errorf("broken %d frames, concealed %d (%d after 4 s); want none after 4 s", broken, r.stats.Concealed, late)
	}
	seen := map[int]bool{}
	last := -1
	for _, got := range r.decodedAt {
		for _, f := range got {
			if seen[f] || f < last {
				t.Fatalf("frame %d played again or out of order (after %d)", f, last)
			}
			seen[f], last = true, f
		}
	}
	if r.stats.Duplicates != len(dups) {
		t.Errorf("%d duplicates counted, want %d", r.stats.Duplicates, len(dups))
	}
}

// Jitter of 0 to 60 ms: the delay grows to cover it (few late packets),
// and no frame plays broken but the late ones concealed.
func TestReceiveUniformJitterCovered(t *testing.T) {
	arr := cleanArrivals(0, 1499, 5*time.Millisecond, 60*time.Millisecond, 4)
	r := simulate(t, arr, toneSignal(simTone, simAmp), 1510, 3*time.Millisecond)
	played := r.out[:len(r.out)-10]
	broken, longest := brokenFrames(played, simTone, simAmp)
	p95 := quantileDelay(r.delay, 0.95)
	t.Logf("broken %d (longest %d); delay mean %v p95 %v; %+v", broken, longest, meanDelay(r.delay), p95, r.stats)
	if r.stats.Late > 15 {
		t.Errorf("%d late packets of 1500 under 0-60 ms jitter, want at most 1%%", r.stats.Late)
	}
	if broken > 5 || r.gaps > 0 {
		t.Errorf("%d broken frames, %d frame periods with nothing played; want at most 5 and none", broken, r.gaps)
	}
	if p95 > 120*time.Millisecond {
		t.Errorf("p95 delay %v under 0-60 ms jitter, want at most 120 ms", p95)
	}
}

// A stall: 15 packets held up arrive together with the 16th, 300 ms
// late for the first. Playback does not stop (the stall is concealed
// and the delay grows without a gap); once calm again the buffer comes
// back down to the clean delay, by quiet frames, or by a cross-faded
// one now and then when far over in talk.
func TestReceiveStallGrowsWithoutGapAndShrinksInQuiet(t *testing.T) {
	const on, off = 40, 20
	arr := cleanArrivals(0, 1999, 5*time.Millisecond, 2*time.Millisecond, 5)
	for i := range arr {
		if f := arr[i].frame; f >= 610 && f <= 625 {
			arr[i].at = arr[625-arr[i].frame+i].at
		}
	}
	r := simulate(t, arr, talkSignal(simTone, simAmp, on, off), 2010, 13*time.Millisecond)
	t.Logf("%+v", r.stats)
	if r.stats.Silent != 0 || r.gaps != 0 {
		t.Errorf("%d silent frame periods, %d with nothing played: playback stopped", r.stats.Silent, r.gaps)
	}
	inTalk, lastTalkDrop := 0, -100
	for p, got := range r.decodedAt {
		if len(got) == 2 && talking(got[0], on, off) {
			inTalk++
			if p-lastTalkDrop < shrinkFastAfter {
				t.Errorf("period %d dropped frame %d in talk, %d periods after the last such: the shrink saws", p, got[0], p-lastTalkDrop)
			}
			lastTalkDrop = p
		}
	}
	if wrong := talkHeard(t, r, on, off); wrong > 0 {
		t.Errorf("%d frames wrong for the talk", wrong)
	}
	if inTalk*3 > r.stats.Shrunk {
		t.Errorf("%d of %d drops in talk spurts: want most in quiet", inTalk, r.stats.Shrunk)
	}
	before, after := r.delay[500], r.delay[len(r.delay)-20]
	if after > before+frameDur {
		t.Errorf("delay %v before the stall, %v 25 s after: it did not come back", before, after)
	}
	if r.stats.Shrunk == 0 {
		t.Error("nothing dropped to shrink back after the stall")
	}
}

// A sender clock 0.5% fast or slow over 10 minutes: the drift is
// absorbed a frame at a time, in quiet, the delay neither grows nor
// saws, and the talk plays clean.
func TestReceiveSenderClockDrift(t *testing.T) {
	for _, c := range []struct {
		name string
		ppm  float64
	}{{"fast", 5000}, {"slow", -5000}} {
		t.Run(c.name, func(t *testing.T) {
			const on, off, frames = 40, 20, 30000
			rng := rand.New(rand.NewPCG(6, 1))
			var arr []arrival
			for i := 0; i < frames; i++ {
				sent := time.Duration(float64(i) * float64(frameDur) / (1 + c.ppm/1e6))
				arr = append(arr, arrival{frame: i, sent: sent, seq: uint16(i), ssrc: 9, at: sent + 5*time.Millisecond + time.Duration(rng.Int64N(int64(4*time.Millisecond)))})
			}
			periods := int(arr[len(arr)-1].at/frameDur) + 5
			r := simulate(t, arr, talkSignal(simTone, simAmp, on, off), periods, 5*time.Millisecond)
			t.Logf("%+v", r.stats)
			want := int(float64(frames) * 5000 / 1e6) // 150 frames
			var adjusted int
			if c.ppm > 0 {
				adjusted = r.stats.Shrunk
			} else {
				adjusted = r.stats.Stretched
			}
			if adjusted < want-10 || adjusted > want+10 {
				t.Errorf("%d frames adjusted for the drift, want about %d", adjusted, want)
			}
			if wrong := talkHeard(t, r, on, off); wrong > 0 {
				t.Errorf("%d frames wrong for the talk: the drift was heard", wrong)
			}
			for p, got := range r.decodedAt {
				if len(got) == 2 && talking(got[0], on, off) {
					t.Errorf("period %d dropped frame %d, in a talk spurt: want drops in quiet", p, got[0])
				}
			}
			// Delay in the first and the last minute.
			var first, last []time.Duration
			for p, d := range r.delay {
				if p < 3000 {
					first = append(first, d)
				} else if p > len(r.delay)-3000 {
					last = append(last, d)
				}
			}
			if a, b := meanDelay(first), meanDelay(last); b-a > 25*time.Millisecond || a-b > 25*time.Millisecond {
				t.Errorf("delay %v in the first minute, %v in the last: not held", a, b)
			}
		})
	}
}

// A sender restart (a new SSRC with new numbers, or the same SSRC
// jumping its sequence) starts the buffer over without a gap: the
// concealment fills in until the new stream is due and joins it.
func TestReceiveSenderRestart(t *testing.T) {
	for _, c := range []struct {
		name string
		ssrc uint32
	}{{"new ssrc", 99}, {"sequence jump", 7}} {
		t.Run(c.name, func(t *testing.T) {
			arr := cleanArrivals(0, 799, 5*time.Millisecond, 2*time.Millisecond, 7)
			for i := range arr {
				if arr[i].frame >= 400 {
					arr[i].seq += 30000
					arr[i].ssrc = c.ssrc
				}
			}
			r := simulate(t, arr, toneSignal(simTone, simAmp), 810, 15*time.Millisecond)
			played := r.out[:len(r.out)-10]
			broken, longest := brokenFrames(played, simTone, simAmp)
			t.Logf("broken %d longest %d; %+v", broken, longest, r.stats)
			if broken > 0 || r.stats.Silent > 0 || r.gaps > 0 {
				t.Errorf("%d broken frames, %d silent periods (%d with nothing played) across the restart, want none", broken, r.stats.Silent, r.gaps)
			}
			if d0, d1 := r.delay[300], r.delay[len(r.delay)-20]; d1-d0 > 2*frameDur {
				t.Errorf("delay %v before the restart, %v after", d0, d1)
			}
			if r.stats.Played < 790 {
				t.Errorf("played %d of 800 frames", r.stats.Played)
			}
		})
	}
}

// A stall on a steady signal (no quiet frame to shrink in): every 10 s
// the network holds 400 ms of packets and then delivers them at once.
// The buffer conceals the stall and waits in place for the packets only
// up to 40 ms over its target; past that they are lost to it, so that 3
// s after a stall the delay is what the target became (the stall's
// packets are 4% of the window: the quantile rises by about 100 ms for
// 10 s), not the stall's backlog dropped a frame at a time.
func TestReceiveStallOnSteadySignalLeavesNoBacklog(t *testing.T) {
	const frames = 3000 // 60 s
	arr := cleanArrivals(0, frames-1, 5*time.Millisecond, 2*time.Millisecond, 9)
	for i := range arr {
		if k := arr[i].frame % 500; arr[i].frame > 500 && k >= 250 && k < 270 {
			arr[i].at = arr[i-k+270].at
		}
	}
	r := simulate(t, arr, toneSignal(simTone, simAmp), frames+10, 8*time.Millisecond)
	t.Logf("%+v", r.stats)
	if r.gaps > 0 {
		t.Errorf("%d frame periods with nothing played", r.gaps)
	}
	// The periods from the start and the sending of their frame
	// differ by the delay (a period late per frame of it).
	before := r.delay[700]
	for stall := 1; stall < 6; stall++ {
		after := -1
		for p, got := range r.decodedAt {
			if len(got) > 0 && got[len(got)-1] >= stall*500+270+150 {
				after = p
				break
			}
		}
		if after < 0 {
			t.Fatalf("frame %d never played", stall*500+270+150)
		}
		if d := r.delay[min(after, len(r.delay)-1)]; d > 150*time.Millisecond {
			t.Errorf("stall %d: 3 s after it the delay is %v (%v before the stalls), want at most 150 ms", stall, d, before)
		}
	}
}
