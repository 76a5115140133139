package media

import "time"

// ntp converts t to the 64-bit NTP format.
func ntp(t time.Time) uint64 {
	secs := uint64(t.Unix()) + 2208988800
	frac := uint64(t.Nanosecond()) * (1 << 32) / 1e9
	return secs<<32 | frac
}

// ntpMiddle is the middle 32 bits of t's NTP time (16.16 seconds), the
// form of RFC 3550's LSR and of the arrival time RTT is computed from.
func ntpMiddle(t time.Time) uint32 { return uint32(ntp(t) >> 16) }

// delaySinceSR is a report's DLSR: the time since the last sender
// report arrived, in 1/65536 s; 0 while none has (RFC 3550 6.4.1).
func delaySinceSR(now, srAt time.Time) uint32 {
	if srAt.IsZero() {
		return 0
	}
	return uint32(now.Sub(srAt).Seconds() * 65536)
}

// roundTripMs is the round trip of RFC 3550 6.4.1 from a report that
// arrived at arrivalMid (ntpMiddle) and echoes lsr after dlsr: arrival
// minus LSR minus DLSR. ok is false when the report echoes no sender
// report, or when the result is not plausible (over 4.5 hours, which is
// what a negative difference wraps to).
func roundTripMs(arrivalMid, lsr, dlsr uint32) (ms float64, ok bool) {
	if lsr == 0 {
		return 0, false
	}
	rtt := arrivalMid - lsr - dlsr
	if rtt >= 1<<30 {
		return 0, false
	}
	return float64(rtt) * 1000 / 65536, true
}
