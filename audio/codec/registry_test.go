package codec

import (
	"errors"
	"testing"
)

func TestAvailableAndLookup(t *testing.T) {
	names := map[string]bool{}
	prev := -1
	for _, c := range Available() {
		info := c.Info()
		names[info.Name] = true
		if info.SampleRate == 0 || info.ClockRate == 0 || info.Channels == 0 {
			t.Errorf("%s: incomplete info %+v", info.Name, info)
		}
		got, err := Lookup(info.Name, info.ClockRate)
		if err != nil || got.Info() != info {
			t.Errorf("Lookup(%s/%d) = %v, %v", info.Name, info.ClockRate, got, err)
		}
		pref := -1
		for _, e := range entries() {
			if e.codec.Info().Name == info.Name {
				pref = e.pref
			}
		}
		if pref < prev {
			t.Errorf("Available is not in preference order at %s", info.Name)
		}
		prev = pref
	}
	for _, n := range []string{"PCMU", "PCMA", "G722"} {
		if !names[n] {
			t.Errorf("%s missing from Available", n)
		}
	}
	t.Logf("available: %v", names)

	if c, err := Lookup("pcmu", 0); err != nil || c != PCMU {
		t.Errorf("case-insensitive lookup: %v, %v", c, err)
	}
	if _, err := Lookup("PCMU", 16000); !errors.Is(err, ErrUnknown) {
		t.Errorf("PCMU/16000: %v", err)
	}
	if _, err := Lookup("iLBC", 0); !errors.Is(err, ErrUnknown) {
		t.Errorf("iLBC: %v", err)
	}
	if _, err := Lookup("telephone-event", 8000); err == nil {
		t.Error("telephone-event is not an audio codec")
	}
}

// Every codec's encoder and decoder run a 20 ms frame of silence and keep
// its length; this is the contract the media path relies on.
func TestEveryCodecFrame(t *testing.T) {
	for _, c := range Available() {
		info := c.Info()
		t.Run(info.Name, func(t *testing.T) {
			enc, err := c.NewEncoder()
			if err != nil {
				t.Fatal(err)
			}
			dec, err := c.NewDecoder()
			if err != nil {
				t.Fatal(err)
			}
			frame := info.SampleRate / 50
			buf := make([]byte, 1500)
			n, err := enc.Encode(buf, make([]int16, frame))
			if err != nil || n == 0 {
				t.Fatalf("encode: %d, %v", n, err)
			}
			out := make([]int16, 5760)
			m, err := dec.Decode(out, buf[:n])
			if err != nil || m != frame {
				t.Fatalf("decode: %d samples, %v; want %d", m, err, frame)
			}
		})
	}
}
