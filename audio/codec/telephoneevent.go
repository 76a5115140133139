package codec

import (
	"errors"
	"fmt"
)

// TelephoneEventInfo describes RFC 4733 telephone-event (DTMF) as SDP sees
// it. It is not in Available: it carries events, not audio. Offer it at
// the clock rate of the audio codec it rides with (8000 for G.711, G.722
// and G.729; 48000 beside Opus).
var TelephoneEventInfo = Info{
	Name:        "telephone-event",
	PayloadType: 101,
	ClockRate:   8000,
	SampleRate:  8000,
	Channels:    1,
	FMTP:        "0-16",
}

// Event is one RFC 4733 section 2.3 named-event payload.
type Event struct {
	Code     uint8  // 0-9 digits, 10 '*', 11 '#', 12-15 'A'-'D', 16 flash
	End      bool   // the E bit: this packet ends the event
	Volume   uint8  // power level in -dBm0, 0..63 (larger is quieter)
	Duration uint16 // in RTP timestamp units since the event began
}

// EventPayloadLen is the size of one event payload.
const EventPayloadLen = 4

// ErrEventPayload reports a telephone-event payload that is not one event.
var ErrEventPayload = errors.New("malformed telephone-event payload")

// EncodeEvent writes e into dst (at least 4 bytes) and returns 4.
func EncodeEvent(dst []byte, e Event) (int, error) {
	if len(dst) < EventPayloadLen {
		return 0, fmt.Errorf("encode telephone-event: dst holds %d bytes, need %d", len(dst), EventPayloadLen)
	}
	if e.Volume > 63 {
		return 0, fmt.Errorf("encode telephone-event: volume %d is above 63", e.Volume)
	}
	b := e.Volume
	if e.End {
		b |= 0x80
	}
	dst[0] = e.Code
	dst[1] = b // bit 6 (R) stays zero
	dst[2] = byte(e.Duration >> 8)
	dst[3] = byte(e.Duration)
	return EventPayloadLen, nil
}

// DecodeEvent reads one event. Per RFC 4733 the reserved bit is ignored
// on receipt; trailing bytes (a redundant block appended by a sender that
// does not follow RFC 2198) are rejected so callers notice.
func DecodeEvent(payload []byte) (Event, error) {
	if len(payload) != EventPayloadLen {
		return Event{}, fmt.Errorf("decode telephone-event: %d bytes: %w", len(payload), ErrEventPayload)
	}
	return Event{
		Code:     payload[0],
		End:      payload[1]&0x80 != 0,
		Volume:   payload[1] & 0x3f,
		Duration: uint16(payload[2])<<8 | uint16(payload[3]),
	}, nil
}

const eventDigits = "0123456789*#ABCD"

// EventCode maps a DTMF key (0-9, *, #, A-D, lower case a-d too) to its
// RFC 4733 event code.
func EventCode(key rune) (uint8, error) {
	if key >= 'a' && key <= 'd' {
		key -= 'a' - 'A'
	}
	for i, k := range eventDigits {
		if k == key {
			return uint8(i), nil
		}
	}
	return 0, fmt.Errorf("dtmf key %q has no telephone-event code", key)
}

// EventKey maps an event code 0-15 back to its key; ok is false for other
// codes (16 is flash, which has no key).
func EventKey(code uint8) (key rune, ok bool) {
	if int(code) < len(eventDigits) {
		return rune(eventDigits[code]), true
	}
	return 0, false
}
