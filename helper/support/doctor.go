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
