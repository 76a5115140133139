package codec

import (
	"bytes"
	"errors"
	"testing"
)

// RFC 4733 section 2.3 layout: event, E|R|volume, duration (16 bits).
func TestTelephoneEventWire(t *testing.T) {
	for _, c := range []struct {
		name string
		ev   Event
		wire []byte
	}{
		{"digit 5 start", Event{Code: 5, Volume: 10, Duration: 160}, []byte{5, 10, 0x00, 0xa0}},
		{"# end", Event{Code: 11, End: true, Volume: 10, Duration: 1280}, []byte{11, 0x8a, 0x05, 0x00}},
		{"D max", Event{Code: 15, End: true, Volume: 63, Duration: 65535}, []byte{15, 0xbf, 0xff, 0xff}},
		{"flash", Event{Code: 16}, []byte{16, 0, 0, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			buf := make([]byte, 4)
			n, err := EncodeEvent(buf, c.ev)
			if err != nil || n != 4 || !bytes.Equal(buf, c.wire) {
				t.Fatalf("EncodeEvent = %x, %d, %v; want %x", buf, n, err, c.wire)
			}
			got, err := DecodeEvent(c.wire)
			if err != nil || got != c.ev {
				t.Fatalf("DecodeEvent(%x) = %+v, %v; want %+v", c.wire, got, err, c.ev)
			}
		})
	}
}

func TestTelephoneEventReservedBitIgnored(t *testing.T) {
	got, err := DecodeEvent([]byte{1, 0x40 | 7, 0, 80})
	if err != nil || got != (Event{Code: 1, Volume: 7, Duration: 80}) {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestTelephoneEventErrors(t *testing.T) {
	for _, p := range [][]byte{nil, {1}, {1, 2, 3}, {1, 2, 3, 4, 5}} {
		if _, err := DecodeEvent(p); !errors.Is(err, ErrEventPayload) {
			t.Errorf("DecodeEvent(%x): %v, want ErrEventPayload", p, err)
		}
	}
	if _, err := EncodeEvent(make([]byte, 3), Event{}); err == nil {
		t.Error("short dst: no error")
	}
	if _, err := EncodeEvent(make([]byte, 4), Event{Volume: 64}); err == nil {
		t.Error("volume 64: no error")
	}
}

func TestEventCodes(t *testing.T) {
	keys := "0123456789*#ABCD"
	for i, k := range keys {
		c, err := EventCode(k)
		if err != nil || int(c) != i {
			t.Errorf("EventCode(%q) = %d, %v; want %d", k, c, err, i)
		}
		back, ok := EventKey(c)
		if !ok || back != k {
			t.Errorf("EventKey(%d) = %q, %v", c, back, ok)
		}
	}
	if c, err := EventCode('b'); err != nil || c != 13 {
		t.Errorf("EventCode('b') = %d, %v", c, err)
	}
	for _, k := range "xE+ " {
		if _, err := EventCode(k); err == nil {
			t.Errorf("EventCode(%q): no error", k)
		}
	}
	if _, ok := EventKey(16); ok {
		t.Error("EventKey(16) is flash, not a key")
	}
}

func FuzzDecodeEvent(f *testing.F) {
	f.Add([]byte{5, 10, 0, 160})
	f.Add([]byte{11, 0x8a, 5, 0})
	f.Add([]byte{})
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8})
	f.Fuzz(func(t *testing.T, p []byte) {
		ev, err := DecodeEvent(p)
		if err != nil {
			if len(p) == 4 {
				t.Fatalf("4-byte payload rejected: %v", err)
			}
			return
		}
		if ev.Volume > 63 {
			t.Fatalf("volume %d out of range", ev.Volume)
		}
		buf := make([]byte, 4)
		if _, err := EncodeEvent(buf, ev); err != nil {
			t.Fatal(err)
		}
		want := append([]byte(nil), p...)
		want[1] &^= 0x40 // the reserved bit is not kept
		if !bytes.Equal(buf, want) {
			t.Fatalf("re-encoded %x, want %x", buf, want)
		}
	})
}
