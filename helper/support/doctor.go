package support

import (
	"context"

	"github.com/openbpclient/bpclient/helper/doctor"
)

// RegistrationEvents are the snapshot's registration changes as the
// doctor's phone check reads them.
func RegistrationEvents(s Snapshot) []doctor.RegistrationEvent {
	out := make([]doctor.RegistrationEvent, 0, len(s.Registration))
	for _, r := range s.Registration {
		out = append(out, doctor.RegistrationEvent{At: r.At, State: r.State, Reason: r.Reason, Server: r.Server})
	}
	return out
}

// PhoneProbe is the doctor's view of this history (the agent's own
// helper.doctor).
func (h *History) PhoneProbe(context.Context) ([]doctor.RegistrationEvent, error) {
	return RegistrationEvents(h.Snapshot()), nil
}

// QualityProbe is the doctor's view of the calls' quality summaries,
// those restored from before a restart included.
func (h *History) QualityProbe(context.Context) ([]doctor.CallQuality, error) {
	return CallQualities(h.Snapshot()), nil
}

// CallQualities are the snapshot's calls as the doctor's quality check
// reads them.
func CallQualities(snap Snapshot) []doctor.CallQuality {
	out := make([]doctor.CallQuality, 0, len(snap.Calls))
	for _, c := range snap.Calls {
		q := doctor.CallQuality{CallID: c.CallID, Started: c.Started}
		if s := c.Summary; s != nil {
			q.Reports, q.MinMOS, q.MeanMOS = s.Reports, s.MinMOS, s.MeanMOS
			q.MaxLossPct, q.MaxJitterMs, q.MaxRTTMs = s.MaxLossPct, s.MaxJitterMs, s.MaxRTTMs
			q.PacketsReceived, q.MicPeak = s.PacketsReceived, s.MicPeak
			q.AudioStops, q.EndedWithoutAudio = s.AudioStops, s.EndedWithoutAudio
		}
		out = append(out, q)
	}
	return out
}
