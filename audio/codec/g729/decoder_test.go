package g729

import (
	"math/rand"
	"testing"
)

// FuzzDecode: arbitrary payloads never panic, give whole frames or an
// error, and conceal afterwards still works.
func FuzzDecode(f *testing.F) {
	f.Add(make([]byte, 20))
	f.Add([]byte{0xff, 0xff})
	rng := rand.New(rand.NewSource(3))
	p := make([]byte, 22)
	rng.Read(p)
	f.Add(p)
	d := NewDecoder()
	out := make([]int16, FrameSamples*32)
	f.Fuzz(func(t *testing.T, p []byte) {
		if len(p) > 300 {
			return
		}
		n, err := d.Decode(out, p)
		if err == nil && (n%FrameSamples != 0 || n == 0 || n > len(out)) {
			t.Fatalf("decoded %d bytes into %d samples", len(p), n)
		}
		if n, err := d.Conceal(out[:FrameSamples]); err != nil || n != FrameSamples {
			t.Fatalf("conceal after %d bytes: %d, %v", len(p), n, err)
		}
	})
}

// TestDecodeAllocatesNothing: a frame, a SID and a concealed frame
// allocate nothing.
func TestDecodeAllocatesNothing(t *testing.T) {
	d := NewDecoder()
	rng := rand.New(rand.NewSource(1))
	voice := make([]byte, 2*FrameBytes+SIDBytes)
	rng.Read(voice)
	out := make([]int16, 3*FrameSamples)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := d.Decode(out, voice); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Conceal(out[:FrameSamples]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per decode", allocs)
	}
}

// TestDecodeRejectsShapes: payloads that are not 10-byte frames with an
// optional SID are errors, and a short dst too.
func TestDecodeRejectsShapes(t *testing.T) {
	d := NewDecoder()
	out := make([]int16, 400)
	for _, c := range []struct {
		n, want int
		ok      bool
	}{{10, 80, true}, {20, 160, true}, {12, 160, true}, {2, 80, true}, {0, 0, false}, {5, 0, false}, {21, 0, false}} {
		n, err := d.Decode(out, make([]byte, c.n))
		if (err == nil) != c.ok || n != c.want {
			t.Errorf("decode %d bytes: %d, %v; want %d, ok=%v", c.n, n, err, c.want, c.ok)
		}
	}
	if _, err := d.Decode(out[:100], make([]byte, 20)); err == nil {
		t.Error("decode of 2 frames into 100 samples: no error")
	}
}

// TestEncodeAllocatesNothing: encoding a 20 ms packet allocates nothing.
func TestEncodeAllocatesNothing(t *testing.T) {
	e := NewEncoder()
	pcm := make([]int16, 2*FrameSamples)
	rng := rand.New(rand.NewSource(2))
	for i := range pcm {
		pcm[i] = int16(rng.Intn(20000) - 10000)
	}
	out := make([]byte, 2*FrameBytes)
	allocs := testing.AllocsPerRun(50, func() {
		if _, err := e.Encode(out, pcm); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per encode", allocs)
	}
	if _, err := e.Encode(out, pcm[:100]); err == nil {
		t.Error("encode of 100 samples: no error")
	}
	if _, err := e.Encode(out[:5], pcm[:80]); err == nil {
		t.Error("encode into 5 bytes: no error")
	}
}
