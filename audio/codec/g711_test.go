package codec

import (
	"path/filepath"
	"testing"

	"github.com/openbpclient/bpclient/audio/dsp"
)

// Spot values from the G.711 segment tables.
func TestG711KnownValues(t *testing.T) {
	for _, c := range []struct {
		in   int16
		u, a uint8
	}{
		{0, 0xff, 0xd5},
		{-1, 0x7f, 0x55},
		{32767, 0x80, 0xaa},
		{-32768, 0x00, 0x2a},
		{1000, 0xce, 0xfa},
		{-1000, 0x4e, 0x7a},
	} {
		if got := LinearToULaw(c.in); got != c.u {
			t.Errorf("LinearToULaw(%d) = %#02x, want %#02x", c.in, got, c.u)
		}
		if got := LinearToALaw(c.in); got != c.a {
			t.Errorf("LinearToALaw(%d) = %#02x, want %#02x", c.in, got, c.a)
		}
	}
	for _, c := range []struct {
		code uint8
		u, a int16
	}{
		{0xff, 0, 848}, {0x80, 32124, 5504}, {0x00, -32124, -5504},
		{0xd5, 716, 8}, {0x55, -716, -8}, {0xaa, 5372, 32256}, {0x2a, -5372, -32256},
	} {
		if got := ULawToLinear(c.code); got != c.u {
			t.Errorf("ULawToLinear(%#02x) = %d, want %d", c.code, got, c.u)
		}
		if got := ALawToLinear(c.code); got != c.a {
			t.Errorf("ALawToLinear(%#02x) = %d, want %d", c.code, got, c.a)
		}
	}
}

// Every code decodes to a value that encodes back to the same code
// (except μ-law's negative zero, 0x7f, which decodes to 0 = 0xff).
func TestG711RoundTripCodes(t *testing.T) {
	for i := 0; i < 256; i++ {
		c := uint8(i)
		if c != 0x7f {
			if got := LinearToULaw(ULawToLinear(c)); got != c {
				t.Errorf("ulaw %#02x -> %d -> %#02x", c, ULawToLinear(c), got)
			}
		}
		if got := LinearToALaw(ALawToLinear(c)); got != c {
			t.Errorf("alaw %#02x -> %d -> %#02x", c, ALawToLinear(c), got)
		}
	}
}

// Monotonic: a larger sample never gets a smaller decoded value.
func TestG711Monotonic(t *testing.T) {
	prevU, prevA := int16(-32768), int16(-32768)
	for x := -32768; x <= 32767; x++ {
		u := ULawToLinear(LinearToULaw(int16(x)))
		a := ALawToLinear(LinearToALaw(int16(x)))
		if u < prevU || a < prevA {
			t.Fatalf("not monotonic at %d: ulaw %d after %d, alaw %d after %d", x, u, prevU, a, prevA)
		}
		prevU, prevA = u, a
	}
}

// Checked against sox both ways: sox encodes, we decode; we encode, sox
// decodes. Compared by SNR against the input and by frequency.
func TestG711AgainstSox(t *testing.T) {
	sox := needTool(t, "sox", "sox")
	in := dsp.Sine(8000, 1000, 8000, 0.5)
	in2 := dsp.Sine(8000, 440, 8000, 0.05) // quiet: exercises the small segments
	for i := range in {
		in[i] += in2[i]
	}
	for _, c := range []struct {
		codec Codec
		enc   string
	}{{PCMU, "u-law"}, {PCMA, "a-law"}} {
		t.Run(c.codec.Info().Name, func(t *testing.T) {
			dir := t.TempDir()
			raw := writeS16(t, dir, "in.raw", in)
			law := filepath.Join(dir, "sox.law")
			run(t, sox, "-t", "raw", "-r", "8000", "-e", "signed", "-b", "16", "-c", "1", raw,
				"-t", "raw", "-e", c.enc, "-b", "8", law)
			dec, _ := c.codec.NewDecoder()
			got := decodeAll(t, dec, [][]byte{readFile(t, law)}, len(in))
			check := func(what string, got []int16) {
				t.Helper()
				snr, lag := dsp.SNR(in, got, 0)
				if snr < 33 || lag != 0 {
					t.Errorf("%s: SNR %.1f dB at lag %d, want >= 33 dB at 0", what, snr, lag)
				}
				if f := dsp.DominantFrequency(got, 8000); f < 995 || f > 1005 {
					t.Errorf("%s: dominant frequency %.1f Hz, want 1000", what, f)
				}
				t.Logf("%s: SNR %.1f dB", what, snr)
			}
			check("sox encode, our decode", got)

			enc, _ := c.codec.NewEncoder()
			ours := encodeAll(t, enc, in, 160, 160)
			lawOurs := writeFile(t, dir, "ours.law", concat(ours))
			out := filepath.Join(dir, "out.raw")
			run(t, sox, "-t", "raw", "-r", "8000", "-e", c.enc, "-b", "8", "-c", "1", lawOurs,
				"-t", "raw", "-e", "signed", "-b", "16", out)
			check("our encode, sox decode", readS16(t, out))
		})
	}
}

// sox's decoding tables against ours, all 256 codes.
func TestG711TablesMatchSox(t *testing.T) {
	sox := needTool(t, "sox", "sox")
	codes := make([]byte, 256)
	for i := range codes {
		codes[i] = byte(i)
	}
	for _, c := range []struct {
		enc    string
		decode func(uint8) int16
	}{{"u-law", ULawToLinear}, {"a-law", ALawToLinear}} {
		dir := t.TempDir()
		in := writeFile(t, dir, "codes.law", codes)
		out := filepath.Join(dir, "out.raw")
		run(t, sox, "-t", "raw", "-r", "8000", "-e", c.enc, "-b", "8", "-c", "1", in,
			"-t", "raw", "-e", "signed", "-b", "16", out)
		ref := readS16(t, out)
		if len(ref) != 256 {
			t.Fatalf("%s: sox gave %d samples", c.enc, len(ref))
		}
		for i, want := range ref {
			if got := c.decode(uint8(i)); got != want {
				t.Errorf("%s code %#02x: ours %d, sox %d", c.enc, i, got, want)
			}
		}
	}
}

func TestG711ShortBuffers(t *testing.T) {
	enc, _ := PCMU.NewEncoder()
	if _, err := enc.Encode(make([]byte, 10), make([]int16, 160)); err == nil {
		t.Error("encode into a short dst: no error")
	}
	dec, _ := PCMA.NewDecoder()
	if _, err := dec.Decode(make([]int16, 10), make([]byte, 160)); err == nil {
		t.Error("decode into a short dst: no error")
	}
}
