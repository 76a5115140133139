package sip_test

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// The caller's microphone in the Annex B calls: a quiet background
// (white noise at annexBNoiseRMS), a tone, the background again, then
// the tone again. The background comes first as it would from a real
// microphone: the encoder's VAD learns the noise floor from it (a tone
// from the first frame on would be the floor).
const (
	annexBLead      = time.Second
	annexBToneHz    = 1000
	annexBTone      = 1500 * time.Millisecond
	annexBSilence   = 2500 * time.Millisecond
	annexBNoiseRMS  = 150.0 // about -47 dBFS: a quiet office
	annexBToneLevel = 8000.0
	annexBFrame     = 20 * time.Millisecond
)

// scheduleSource plays tone, background, tone by the samples it has
// given, whatever the clock.
type scheduleSource struct {
	annexBSchedule
	rate  int
	mu    sync.Mutex
	n     int
	noise uint32
}

func (s *scheduleSource) ReadPCM(buf []int16) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	toneFrom := int(annexBLead.Seconds() * float64(s.rate))
	toneEnd := toneFrom + int(annexBTone.Seconds()*float64(s.rate))
	silenceEnd := toneEnd + int(s.silence.Seconds()*float64(s.rate))
	for i := range buf {
		if s.n >= toneFrom && s.n < toneEnd || s.n >= silenceEnd {
			buf[i] = int16(annexBToneLevel * math.Sin(2*math.Pi*annexBToneHz*float64(s.n)/float64(s.rate)))
		} else {
			// Uniform white noise of RMS noiseRMS (xorshift).
			s.noise ^= s.noise << 13
			s.noise ^= s.noise >> 17
			s.noise ^= s.noise << 5
			buf[i] = int16((float64(s.noise)/math.MaxUint32*2 - 1) * math.Sqrt(3) * s.noiseRMS)
		}
		s.n++
	}
	return len(buf), nil
}

// annexBSchedule is how long the silence between the tones lasts and
// the background's level in it.
type annexBSchedule struct {
	silence  time.Duration
	noiseRMS float64
}

var annexBDefault = annexBSchedule{silence: annexBSilence, noiseRMS: annexBNoiseRMS}

// scheduleAudio gives the caller's calls scheduleSource and records.
type scheduleAudio struct {
	*testAudio
	annexBSchedule
}

func (a scheduleAudio) factory(callID string, rate int) (sip.Audio, error) {
	au, err := a.testAudio.factory(callID, rate)
	au.Source = &scheduleSource{annexBSchedule: a.annexBSchedule, rate: rate, noise: 0x2545f491}
	return au, err
}

// annexBResult is what one Annex B call measured.
type annexBResult struct {
	callerCodec, calleeCodec string
	// silencePackets are the packets the caller sent in the middle of its
	// silence (a window of silenceWindow), voicePackets in as long of its
	// first tone; sid how many ended in a SID, over the call.
	silencePackets, voicePackets, sid int
	silenceWindow                     time.Duration
	heard                             []int16 // what the callee heard
	rate                              int
	callee                            sip.MediaStats // the callee's counters
	calleeQuality                     sip.QualityReport
	calleeIssues                      int // network.issue events saying media stopped
}

// runAnnexBCall calls from a phone with callerCodecs to one with
// calleeCodecs through Kamailio; the caller plays the schedule, the
// callee a 600 Hz tone.
func runAnnexBCall(t *testing.T, callerCodecs, calleeCodecs []string, calleeOpts ...sip.Option) annexBResult {
	t.Helper()
	return runAnnexBSchedule(t, annexBDefault, callerCodecs, calleeCodecs, calleeOpts...)
}

func runAnnexBSchedule(t *testing.T, sched annexBSchedule, callerCodecs, calleeCodecs []string, calleeOpts ...sip.Option) annexBResult {
	t.Helper()
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kamailio:\n%s", k.Log())
		}
	})
	callerAudio, calleeAudio := scheduleAudio{newTestAudio(0), sched}, newTestAudio(600)
	caller, callerEv := startPhone(t, sip.Config{Server: k.Addr(), Domain: "127.0.0.1", Username: "1001", Password: "secret1",
		Codecs: callerCodecs, RTPPortMin: 32000, RTPPortMax: 39999}, sip.WithAudio(callerAudio.factory))
	callee, calleeEv := startPhone(t, sip.Config{Server: k.Addr(), Domain: "127.0.0.1", Username: "1002", Password: "secret2",
		Codecs: calleeCodecs, RTPPortMin: 32000, RTPPortMax: 39999}, append([]sip.Option{sip.WithAudio(calleeAudio.factory)}, calleeOpts...)...)
	registerBoth(t, caller, callerEv, callee, calleeEv)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, inCall := dialAndAnswer(t, ctx, caller, callee, calleeEv, "1002")
	var r annexBResult
	r.callerCodec = callerEv.waitCall(t, sip.StateConnected).Codec
	r.calleeCodec = calleeEv.waitCall(t, sip.StateConnected).Codec
	// The caller's microphone starts with its media: count its packets
	// over the middle of the first tone and of the silence (half a
	// second off each edge for the VAD's hangover and the clocks).
	const edge = 500 * time.Millisecond
	window := annexBTone - 2*edge
	count := func(from time.Duration) int {
		time.Sleep(from)
		a := out.MediaStats().SentPackets
		time.Sleep(window)
		return out.MediaStats().SentPackets - a
	}
	r.silenceWindow = window
	r.voicePackets = count(annexBLead + edge)
	r.silencePackets = count(2*edge + (sched.silence-window)/2)
	time.Sleep((sched.silence-window)/2 + annexBTone - 200*time.Millisecond)
	r.sid = out.MediaStats().SentSID
	r.callee = inCall.MediaStats()
	r.calleeQuality, _ = inCall.Quality()
	r.calleeIssues = calleeEv.count(func(name string, params any) bool {
		ni, ok := params.(sip.NetworkIssue)
		return name == sip.EventNetworkIssue && ok && ni.Active
	})
	if err := out.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	callerEv.waitCall(t, sip.StateEnded)
	calleeEv.waitCall(t, sip.StateEnded)
	r.heard, r.rate = calleeAudio.heard(inCall.ID())
	return r
}

// checkHeardSchedule asserts what the callee heard: the tone, then noise
// at about the background's level (comfort noise when the sender is in
// DTX: neither dead silence nor the tone), then the tone again.
func checkHeardSchedule(t *testing.T, r annexBResult) {
	t.Helper()
	frame := r.rate / 50
	if len(r.heard) < r.rate*4 {
		t.Fatalf("the callee heard only %d samples", len(r.heard))
	}
	// The quiet stretch: the longest run of 20 ms frames well below the
	// tone's level.
	quietFrom, quietTo := -1, -1
	runFrom := -1
	for i := 0; i+frame <= len(r.heard); i += frame {
		if rmsInt(r.heard[i:i+frame]) >= annexBToneLevel/8 {
			runFrom = -1
			continue
		}
		if runFrom < 0 {
			runFrom = i
		}
		if i+frame-runFrom > quietTo-quietFrom {
			quietFrom, quietTo = runFrom, i+frame
		}
	}
	if quietFrom < 0 || quietTo-quietFrom < r.rate*3/2 {
		t.Fatalf("no quiet stretch of 1.5 s in what the callee heard (found %d to %d of %d samples)", quietFrom, quietTo, len(r.heard))
	}
	mid := r.heard[quietFrom+r.rate/4 : quietTo-r.rate/4]
	level := rmsInt(mid)
	t.Logf("background %.0f RMS heard as %.0f RMS (%.1f dB)", annexBNoiseRMS, level, 20*math.Log10(level/annexBNoiseRMS))
	if level < annexBNoiseRMS/2 || level > annexBNoiseRMS*2 {
		t.Errorf("the quiet stretch is at %.0f RMS, want the background's %.0f within 6 dB (comfort noise, not silence)", level, annexBNoiseRMS)
	}
	if quietFrom < r.rate {
		t.Fatalf("the quiet stretch starts at sample %d: no tone before it", quietFrom)
	}
	checkTone(t, "the tone before the silence", r.heard[quietFrom-r.rate:quietFrom-frame*5], r.rate, annexBToneHz)
	after := r.heard[quietTo:]
	if len(after) < r.rate/2 {
		t.Fatalf("only %d samples heard after the silence", len(after))
	}
	if got := dsp.DominantFrequency(after[frame*5:], r.rate); math.Abs(got-annexBToneHz) > 15 {
		t.Errorf("after the silence the callee hears %.1f Hz, want %d Hz back", got, annexBToneHz)
	}
}

func rmsInt(pcm []int16) float64 {
	var s float64
	for _, v := range pcm {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(max(len(pcm), 1)))
}

// TestAnnexBCall: two of our phones with "G729;annexb=yes" agree on
// Annex B, and the caller's stream goes quiet in its silence: the voice
// runs at 50 packets a second, the silence at a SID now and then; the
// callee hears its comfort noise at the background's level, the tone
// again after it, and counts the silence neither as loss nor as
// concealment.
func TestAnnexBCall(t *testing.T) {
	t.Parallel()
	r := runAnnexBCall(t, []string{"G729;annexb=yes"}, []string{"G729;annexb=yes"})
	if r.callerCodec != "G729" || r.calleeCodec != "G729" {
		t.Fatalf("connected with %q and %q, want G729", r.callerCodec, r.calleeCodec)
	}
	t.Logf("caller sent %d packets in %v of tone, %d in as long of silence, %d SIDs in all; callee: %d frames of comfort noise, %d concealed, %d late, loss %.1f%%",
		r.voicePackets, r.silenceWindow, r.silencePackets, r.sid, r.callee.ComfortNoise, r.callee.Concealed, r.callee.Late, r.calleeQuality.LossPct)
	voiceWant := int(r.silenceWindow / annexBFrame)
	if r.voicePackets < voiceWant*8/10 {
		t.Errorf("%d packets in %v of tone, want about %d", r.voicePackets, r.silenceWindow, voiceWant)
	}
	if r.silencePackets > voiceWant/10 {
		t.Errorf("%d packets in %v of silence, want SID rate (at most %d)", r.silencePackets, r.silenceWindow, voiceWant/10)
	}
	if r.sid < 1 || r.callee.PlayedSID < 1 {
		t.Errorf("%d SID frames sent, %d received and played, want some", r.sid, r.callee.PlayedSID)
	}
	if gap := int(annexBSilence/annexBFrame) / 2; r.callee.ComfortNoise < gap {
		t.Errorf("the callee filled %d frame periods with comfort noise, want at least %d of the silence's", r.callee.ComfortNoise, gap)
	}
	if r.calleeQuality.LossPct != 0 {
		t.Errorf("the callee reports %.1f%% loss through the DTX silence, want 0", r.calleeQuality.LossPct)
	}
	if r.callee.Concealed > r.callee.ComfortNoise/10 {
		t.Errorf("the callee concealed %d frames: the DTX silence counted as loss", r.callee.Concealed)
	}
	checkHeardSchedule(t, r)
}

// TestAnnexBDeclined: when either side says annexb=no, no SID is ever
// sent and the silence goes at the full packet rate.
func TestAnnexBDeclined(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct{ caller, callee []string }{
		"callee declines": {[]string{"G729;annexb=yes"}, []string{"G729"}},
		"caller declines": {[]string{"G729"}, []string{"G729;annexb=yes"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := runAnnexBCall(t, c.caller, c.callee)
			t.Logf("caller sent %d packets in %v of silence; the callee played %d SIDs", r.silencePackets, r.silenceWindow, r.callee.PlayedSID)
			// Counted where they would be played: the callee's decoder.
			if r.callee.PlayedSID != 0 {
				t.Errorf("the callee played %d packets ending in a SID, want none", r.callee.PlayedSID)
			}
			if want := int(r.silenceWindow / annexBFrame); r.silencePackets < want*8/10 {
				t.Errorf("%d packets in %v of silence, want about %d (no DTX)", r.silencePackets, r.silenceWindow, want)
			}
			checkTone(t, "what the callee heard", r.heard, r.rate, annexBToneHz)
		})
	}
}

// TestAnnexBLongSilence: a digital silence of 4.5 s, longer than the
// no-media timeout (3 s): the caller sends a SID and then nothing, and
// the callee, whose comfort noise goes on and whose RTCP from the
// caller keeps coming, reports no network issue; the tone comes back.
func TestAnnexBLongSilence(t *testing.T) {
	t.Parallel()
	r := runAnnexBSchedule(t, annexBSchedule{silence: 4500 * time.Millisecond}, []string{"G729;annexb=yes"}, []string{"G729;annexb=yes"})
	t.Logf("caller sent %d packets in %v of silence, %d SIDs; callee: %d frames of comfort noise, %d network issues",
		r.silencePackets, r.silenceWindow, r.sid, r.callee.ComfortNoise, r.calleeIssues)
	if r.silencePackets != 0 || r.sid < 1 {
		t.Errorf("%d packets in %v of digital silence, %d SIDs: want a SID and then nothing", r.silencePackets, r.silenceWindow, r.sid)
	}
	if r.calleeIssues != 0 {
		t.Errorf("the callee reported %d network issues through the DTX silence, want none", r.calleeIssues)
	}
	if after := r.heard[len(r.heard)-r.rate/2:]; math.Abs(dsp.DominantFrequency(after, r.rate)-annexBToneHz) > 15 {
		t.Errorf("the tone did not come back after the silence")
	}
}
