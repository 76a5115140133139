//go:build linux

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/internal/soundtest"
)

// Mouth-to-ear with devices. Each direction has a probe: a stereo null
// sink whose left channel is a mouth and whose right channel is an ear.
// A click train is fed into the left (the remap sink PROBE_l); the
// microphone that hears it is the remap source PROBE_in, which carries
// the left channel only; the speaker at the other end plays into the
// right (the remap sink PROBE_r). One recording of the probe's monitor
// then holds the fed click and its arrival, timed by one clock, the
// sound server's: the delay is a difference of sample positions, and no
// process's clock or start time enters it.
//
//	up:   click → up_l → up_in = our microphone → call → far end's speaker → up_r
//	down: click → down_l → down_in = far end's microphone → call → our speaker → down_r
//
// Our side is the server's default source (up_in) and sink (down_r), so
// the agent and the caller baresip use them as they would a headset; the
// far end (the callee baresip) reaches its own through ALSA PCMs of its
// own. Both ends' device paths are in every number, and the far end's is
// the same for the agent and for baresip: their difference is ours.

const probeRate = 48000

// probeDevices are the probes' modules, as pactl load-module arguments.
var probeDevices = func() [][]string {
	var mods [][]string
	for _, p := range []string{"up", "down"} {
		mods = append(mods,
			[]string{"module-null-sink", "sink_name=" + p, fmt.Sprintf("rate=%d", probeRate), "channels=2", "channel_map=front-left,front-right"},
			[]string{"module-remap-sink", "sink_name=" + p + "_l", "master=" + p, "channels=1", "channel_map=mono", "master_channel_map=front-left", "remix=no"},
			[]string{"module-remap-sink", "sink_name=" + p + "_r", "master=" + p, "channels=1", "channel_map=mono", "master_channel_map=front-right", "remix=no"},
			[]string{"module-remap-source", "source_name=" + p + "_in", "master=" + p + ".monitor", "channels=1", "channel_map=mono", "master_channel_map=front-left", "remix=no"})
	}
	return mods
}()

// farDevices are the far end's ALSA PCMs on the probes.
const farDevices = `
pcm.farspk { type pulse device "up_r" }
pcm.farmic { type pulse device "down_in" }
`

// Clicks: after lead (the streams' start: a new PulseAudio stream's
// first audio takes up to ~2 s on this VM), one a second; an arrival is
// looked for within pairWindow of its click.
const (
	clickLead   = 4 * time.Second
	clickPeriod = time.Second
	pairWindow  = 900 * time.Millisecond
)

// m2eDelays are one call's delays, both directions.
type m2eDelays struct{ up, down []time.Duration }

// TestDeviceMouthToEar measures mouth-to-ear through the agent with real
// devices, both ways, against baresip calling the same callee with the
// same devices, on a private PulseAudio and a private PipeWire. It
// asserts only that clicks arrive at all.
func TestDeviceMouthToEar(t *testing.T) {
	b := newDeviceBench(t)
	soundtest.ForEach(t, func(t *testing.T, kind string) {
		var rows []string
		var all [2]m2eDelays // agent, baresip: every run's
		for i := 1; i <= b.runs; i++ {
			t.Run(fmt.Sprintf("run%d", i), func(t *testing.T) {
				row, agent, bare := b.measureMouthToEar(t, kind, i)
				rows = append(rows, row)
				all[0].up, all[0].down = append(all[0].up, agent.up...), append(all[0].down, agent.down...)
				all[1].up, all[1].down = append(all[1].up, bare.up...), append(all[1].down, bare.down...)
			})
		}
		fmt.Printf("\nMOUTH-TO-EAR %s, %s, PCMU, %d clicks per call and direction; median (min–max) ms, clicks arrived/fed\n"+
			"| server | run | load 1 min (start–end) | our mic → far end: agent | baresip | far end → our speaker: agent | baresip |\n"+
			"|---|---|---|---|---|---|---|\n%s\n| %s | all | | %s | %s | %s | %s |\n", kind, b.heading(), b.clicks, strings.Join(rows, "\n"),
			kind, delayStats(all[0].up, 0), delayStats(all[1].up, 0), delayStats(all[0].down, 0), delayStats(all[1].down, 0))
	})
}

// measureMouthToEar runs one call from the agent and one from baresip in
// one world and returns the table row and both callers' delays.
func (b *deviceBench) measureMouthToEar(t *testing.T, kind string, run int) (row string, agent, bare m2eDelays) {
	r := b.startDeviceRun(t, kind, siptest.BaresipOptions{Player: "alsa,farspk", Mic: "alsa,farmic"}, func(s *soundtest.Server) {
		for _, m := range probeDevices {
			s.Output(t, "pactl", append([]string{"load-module"}, m...)...)
		}
		s.Output(t, "pactl", "set-default-source", "up_in")
		s.Output(t, "pactl", "set-default-sink", "down_r")
		soundtest.ALSAEnv(t, soundtest.PulseDevices+farDevices)
	})
	load0 := loadAverage()
	callFor := clickLead + time.Duration(b.clicks)*clickPeriod + time.Second
	agent = b.clickCall(t, r, "agent", func() { r.phone.call(t, callFor) })
	bare = b.clickCall(t, r, "baresip", func() {
		if err := r.baresipCall(context.Background(), callFor); err != nil {
			t.Fatal(err)
		}
	})
	row = fmt.Sprintf("| %s | %d | %s–%s | %s | %s | %s | %s |", kind, run, load0, loadAverage(),
		delayStats(agent.up, b.clicks), delayStats(bare.up, b.clicks), delayStats(agent.down, b.clicks), delayStats(bare.down, b.clicks))
	return row, agent, bare
}

// clickCall feeds both probes' click trains, runs call (which returns
// when the call has ended) and finds the clicks in the recordings.
func (b *deviceBench) clickCall(t *testing.T, r *deviceRun, who string, call func()) m2eDelays {
	t.Helper()
	stopUp := r.sound.RecordChannels(t, "up", probeRate, 2)
	stopDown := r.sound.RecordChannels(t, "down", probeRate, 2)
	waitProbesRender(t, r.sound)
	train := clickTrain(probeRate, clickLead, clickPeriod, b.clicks)
	r.sound.Feed(t, "up_l", train, probeRate)
	r.sound.Feed(t, "down_l", train, probeRate)
	farBuf := make(chan string, 1)
	go func() {
		// Mid-call, after the first clicks: by then the far end's
		// playout buffer holds what it will hold all call long.
		time.Sleep(clickLead + 2*clickPeriod)
		farBuf <- farPlayoutBuffer(r.phone.b)
	}()
	call()
	t.Logf("%s: the far end's playout buffer mid-call: %s", who, <-farBuf)
	time.Sleep(500 * time.Millisecond)
	var d m2eDelays
	for _, dir := range []struct {
		name string
		rec  []int16
		out  *[]time.Duration
	}{{"our mic → far end", stopUp(), &d.up}, {"far end → our speaker", stopDown(), &d.down}} {
		fedTrack, arrivedTrack := deinterleave(dir.rec)
		fed := clickOnsets(fedTrack, probeRate, clickPeriod/2, 1000)
		if len(fed) != b.clicks {
			// The feed and the recording are the server's own clients: if
			// they lose clicks, the server itself dropped audio.
			t.Fatalf("%s, %s: the probe's recording holds %d of the %d fed clicks: the sound server lost the feed's audio", who, dir.name, len(fed), b.clicks)
		}
		arrived := clickOnsets(arrivedTrack, probeRate, clickPeriod/2, 1000)
		delays, missed := clickDelays(fed, arrived, probeRate, pairWindow)
		t.Logf("%s, %s: %s (missed %d)", who, dir.name, delayList(delays), missed)
		if len(delays) == 0 {
			t.Errorf("%s, %s: none of the %d clicks arrived", who, dir.name, b.clicks)
		}
		*dir.out = delays
	}
	return d
}

// waitProbesRender returns once both probes' null sinks render for a new
// client at once. An idle null sink has rendered up to 2 s ahead, and the
// streams opened on it next (the far end's speaker, our microphone on its
// monitor) start only then: 2.4-2.7 s on PulseAudio, 0.6 s on PipeWire
// here. A caller that sends from `connected` on (the agent: its
// microphone is warm) meanwhile fills the far end's playout buffer, which
// baresip's never shrinks below what it holds when its speaker starts:
// the call then carried 100-140 ms more all call long than a caller that
// sent nothing until its own late capture began.
func waitProbesRender(t *testing.T, s *soundtest.Server) {
	t.Helper()
	deadline := time.Now().Add(soundtest.HangGuard)
	for _, p := range []string{"up", "down"} {
		for {
			stop := s.Record(t, p, 8000)
			time.Sleep(300 * time.Millisecond)
			if len(stop()) >= 1600 { // 200 ms of the 300
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("hang guard (%v): the probe %s's monitor never delivered", soundtest.HangGuard, p)
			}
		}
	}
}

// farPlayoutBuffer is baresip's account of its receive buffer ("cur 40.00ms,
// max 160.00ms, or 0, ur 0": now, at most, overruns, underruns), or why not.
func farPlayoutBuffer(b *siptest.Baresip) string {
	out, err := b.Command("audio_debug", "")
	if err != nil {
		return err.Error()
	}
	_, rx, ok := strings.Cut(out, " rx:")
	if !ok {
		return "no receive stream"
	}
	for _, l := range strings.Split(rx, "\n") {
		if _, v, ok := strings.Cut(l, "aubuf:"); ok {
			if _, v, ok = strings.Cut(v, "("); ok {
				return strings.TrimSuffix(strings.TrimSpace(v), ")")
			}
		}
	}
	return "no aubuf line"
}

// delayStats is "median (min–max) ms", with "n/fed" when fed > 0.
func delayStats(d []time.Duration, fed int) string {
	if len(d) == 0 {
		return "none arrived"
	}
	s := slices.Clone(d)
	slices.Sort(s)
	ms := func(x time.Duration) float64 { return float64(x) / float64(time.Millisecond) }
	out := fmt.Sprintf("%.0f (%.0f–%.0f)", ms(s[len(s)/2]), ms(s[0]), ms(s[len(s)-1]))
	if fed > 0 {
		out += fmt.Sprintf(" %d/%d", len(d), fed)
	}
	return out
}

func delayList(d []time.Duration) string {
	if len(d) == 0 {
		return "none arrived"
	}
	parts := make([]string, len(d))
	for i, x := range d {
		parts[i] = fmt.Sprintf("%.1f", float64(x)/float64(time.Millisecond))
	}
	return strings.Join(parts, " ") + " ms"
}
