package g729

import (
	"encoding/binary"
	"math"
	"math/rand"
	"testing"
)

// FuzzEncode: arbitrary PCM (full-scale noise, steps, silence) never
// panics the encoder, and what it sends decodes to whole frames.
func FuzzEncode(f *testing.F) {
	f.Add(make([]byte, 2*FrameSamples))
	square := make([]byte, 2*FrameSamples)
	for i := 0; i < FrameSamples; i++ {
		v := int16(32767)
		if i%16 < 8 {
			v = -32768
		}
		binary.LittleEndian.PutUint16(square[2*i:], uint16(v))
	}
	f.Add(square)
	e, d := NewEncoder(), NewDecoder()
	pcm := make([]int16, FrameSamples)
	bits := make([]byte, FrameBytes)
	out := make([]int16, FrameSamples)
	f.Fuzz(func(t *testing.T, raw []byte) {
		for off := 0; off+2*FrameSamples <= len(raw) && off < 2*FrameSamples*8; off += 2 * FrameSamples {
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(raw[off+2*i:]))
			}
			if n, err := e.Encode(bits, pcm); err != nil || n != FrameBytes {
				t.Fatalf("encode: %d, %v", n, err)
			}
			if n, err := d.Decode(out, bits); err != nil || n != FrameSamples {
				t.Fatalf("decode: %d, %v", n, err)
			}
		}
	})
}

// TestEncodeHardSignals: signals a microphone or a line can give that
// stress the fixed point (full-scale noise and square waves, a lone
// click, DC, silence) encode and decode without the output running away:
// after silence again, the decoder is quiet within half a second.
func TestEncodeHardSignals(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	gen := map[string]func(n int) int16{
		"full-scale noise": func(int) int16 { return int16(rng.Intn(65536) - 32768) },
		"square 250 Hz":    func(n int) int16 { return map[bool]int16{true: 32767, false: -32768}[n%32 < 16] },
		"click":            func(n int) int16 { return map[bool]int16{true: 32767, false: 0}[n == 400] },
		"DC":               func(int) int16 { return 20000 },
		"sine 3.9 kHz":     func(n int) int16 { return int16(32000 * math.Sin(2*math.Pi*3900*float64(n)/8000)) },
	}
	for name, g := range gen {
		e, d := NewEncoder(), NewDecoder()
		pcm := make([]int16, FrameSamples)
		bits := make([]byte, FrameBytes)
		out := make([]int16, FrameSamples)
		var tail float64
		for f := range 200 {
			for i := range pcm {
				pcm[i] = 0
				if f < 100 {
					pcm[i] = g(f*FrameSamples + i)
				}
			}
			if _, err := e.Encode(bits, pcm); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if _, err := d.Decode(out, bits); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if f >= 150 {
				for _, s := range out {
					tail = math.Max(tail, math.Abs(float64(s)))
				}
			}
		}
		if tail > 300 {
			t.Errorf("%s then silence: the decoder still gives peaks of %.0f half a second later", name, tail)
		}
	}
}

// TestDTXFrames: with DTX, a loud stretch over a quiet background is
// sent as voice, and the background after it as a SID and then nothing,
// a frame at a time, without allocating; more than a frame per call is
// an error (a SID may only end a packet).
func TestDTXFrames(t *testing.T) {
	e := NewEncoderDTX()
	rng := rand.New(rand.NewSource(8))
	pcm := make([]int16, FrameSamples)
	out := make([]byte, FrameBytes)
	var sizes []int
	for f := range 70 {
		amp := 100 // the background
		if f >= 10 && f < 30 {
			amp = 8000
		}
		for i := range pcm {
			pcm[i] = int16(rng.Intn(2*amp) - amp)
		}
		n, err := e.Encode(out, pcm)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, n)
	}
	for f, n := range sizes[10:30] {
		if n != FrameBytes {
			t.Fatalf("frame %d of the loud stretch: %d bytes", f, n)
		}
	}
	sids, none := 0, 0
	for _, n := range sizes[30:] {
		switch n {
		case SIDBytes:
			sids++
		case 0:
			none++
		}
	}
	if sids == 0 || none < 30 {
		t.Errorf("background after the loud stretch: %d SID frames and %d not sent (sizes %v)", sids, none, sizes[30:])
	}
	if a := testing.AllocsPerRun(20, func() { e.Encode(out, pcm) }); a != 0 {
		t.Errorf("%.1f allocations per DTX frame", a)
	}
	if _, err := e.Encode(make([]byte, 2*FrameBytes), make([]int16, 2*FrameSamples)); err == nil {
		t.Error("DTX encode of two frames in one call: no error")
	}
}
