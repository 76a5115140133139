package phoneapi

import (
	"errors"

	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/sip"
)

// What a call sends when its sound devices cannot be opened
// (phone.configure "withoutAudio").
const (
	// WithoutAudioSilence, the default: a call must never play a test
	// tone to a customer because a headset failed.
	WithoutAudioSilence = "silence"
	// WithoutAudioTone: a 440 Hz tone, so that a machine with no sound
	// card (a demo, a test box) still shows a call carrying audio.
	WithoutAudioTone = "tone"
)

// EventCallAudio tells the pages that a call has no sound devices and
// what it sends instead.
const EventCallAudio = "call.audio"

// CallAudio is the call.audio event.
type CallAudio struct {
	CallID string `json:"callId"`
	Source string `json:"source"` // WithoutAudioTone or WithoutAudioSilence
	Reason string `json:"reason"`
}

var errNoAudio = errors.New("no audio for calls in this agent")

// callAudio is a configured phone's audio factory: the sound devices
// (open), and when they cannot be opened, silence or the tone as the
// page chose. Either way BPClient.log and a call.audio event say so, once
// per call.
func (s *Service) callAudio(aud agent.Audience, open sip.AudioFactory, without string) sip.AudioFactory {
	if open == nil && without != WithoutAudioTone {
		return nil // tests: calls carry silence, nothing to tell
	}
	if without == "" {
		without = WithoutAudioSilence
	}
	return func(callID string, rate int) (sip.Audio, error) {
		err := errNoAudio
		if open != nil {
			a, oerr := open(callID, rate)
			if oerr == nil {
				return a, nil
			}
			err = oerr
		}
		s.mu.Lock()
		told := s.noAudio[callID]
		s.noAudio[callID] = true
		s.mu.Unlock()
		if !told {
			s.log.Warn().Err(err).Str("call", callID).Str("sending", without).Msg("no sound device for the call")
			if s.opts.Events != nil {
				s.opts.Events.BroadcastTo(aud, EventCallAudio, CallAudio{CallID: callID, Source: without,
					Reason: "no sound device: " + err.Error()})
			}
		}
		if without == WithoutAudioTone {
			return sip.Audio{Source: NewTone(440, rate), Sink: discard{}}, nil
		}
		return sip.Audio{}, err
	}
}

// forgetCall drops what callAudio remembers of an ended call.
func (s *Service) forgetCall(params any) {
	if st, ok := params.(sip.CallState); ok && st.State == sip.StateEnded {
		s.mu.Lock()
		delete(s.noAudio, st.CallID)
		s.mu.Unlock()
	}
}

// Tone is a microphone that plays a steady sine peaking about 10 dB below
// full scale.
type Tone struct {
	gen *dsp.ToneGen // nil: silence, for a tone the rate cannot carry
}

// toneLevel is in dBm0 (dsp's tone plans): a peak of 0.3 full scale.
const toneLevel = -7.3

// NewTone returns a tone of freq Hz at rate samples per second; a
// frequency at or above half the rate (or a rate of zero) plays silence.
func NewTone(freq float64, rate int) *Tone {
	gen, err := dsp.NewToneGen(dsp.Tone{Name: "without audio", Freqs: [2]float64{freq}, Levels: [2]float64{toneLevel}}, rate)
	if err != nil {
		return &Tone{}
	}
	return &Tone{gen: gen}
}

// ReadPCM fills buf with the next samples.
func (t *Tone) ReadPCM(buf []int16) (int, error) {
	if t.gen == nil {
		clear(buf)
		return len(buf), nil
	}
	t.gen.Read(buf)
	return len(buf), nil
}

// discard is a speaker that drops what it is given.
type discard struct{}

func (discard) WritePCM(p []int16) (int, error) { return len(p), nil }
