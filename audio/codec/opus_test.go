//go:build cgo && opus

package codec

import (
	"io"
	"math/rand"
	"path/filepath"
	"testing"

	"github.com/openbpclient/bpclient/audio/dsp"
)

// opusenc (opus-tools) encodes, we decode; we encode, opusdec decodes.
// Compared by tone levels and SNR against the input.
func TestOpusAgainstOpusTools(t *testing.T) {
	opusenc := needTool(t, "opusenc", "opus-tools")
	opusdec := needTool(t, "opusdec", "opus-tools")
	dir := t.TempDir()
	in := testSignal(48000*2, 48000, 1000, 300)
	raw := writeS16(t, dir, "in.raw", in)

	ref := filepath.Join(dir, "ref.opus")
	run(t, opusenc, "--quiet", "--raw", "--raw-rate", "48000", "--raw-chan", "1", "--bitrate", "32", "--framesize", "20", raw, ref)
	packets, err := oggPackets(readFile(t, ref))
	if err != nil {
		t.Fatal(err)
	}
	if len(packets) < 3 || string(packets[0][:8]) != "OpusHead" {
		t.Fatalf("opusenc output: %d packets", len(packets))
	}
	dec, _ := Opus.NewDecoder()
	ours := decodeAll(t, dec, packets[2:], 5760)
	snr, lag := dsp.SNR(in[:len(in)-4800], ours, 2000)
	t.Logf("opusenc, our decode: %d packets, SNR %.1f dB, delay %d samples", len(packets)-2, snr, lag)
	if snr < 15 {
		t.Errorf("opusenc, our decode: SNR %.1f dB, want >= 15", snr)
	}
	checkTones(t, ours, 48000, 1000, 300)

	enc, _ := Opus.NewEncoder()
	mine := encodeAll(t, enc, in, 960, 1500)
	file := writeFile(t, dir, "ours.opus", oggOpusFile(mine, 0))
	out := filepath.Join(dir, "out.raw")
	run(t, opusdec, "--quiet", "--rate", "48000", "--no-dither", file, out)
	got := readS16(t, out)
	snr, lag = dsp.SNR(in[:len(in)-4800], got, 2000)
	t.Logf("our encode (%d bytes/packet avg), opusdec: SNR %.1f dB, delay %d samples",
		len(concat(mine))/len(mine), snr, lag)
	if snr < 15 {
		t.Errorf("our encode, opusdec: SNR %.1f dB, want >= 15", snr)
	}
	checkTones(t, got, 48000, 1000, 300)
}

func TestOpusFrameSizesAndConceal(t *testing.T) {
	enc, _ := Opus.NewEncoder()
	dec, _ := Opus.NewDecoder()
	defer enc.(io.Closer).Close()
	defer dec.(io.Closer).Close()
	buf := make([]byte, 1500)
	out := make([]int16, 5760)
	for _, frame := range []int{120, 240, 480, 960, 1920, 2880} {
		n, err := enc.Encode(buf, make([]int16, frame))
		if err != nil {
			t.Fatalf("encode %d samples: %v", frame, err)
		}
		m, err := dec.Decode(out, buf[:n])
		if err != nil || m != frame {
			t.Fatalf("decode frame of %d: %d, %v", frame, m, err)
		}
	}
	if _, err := enc.Encode(buf, make([]int16, 1000)); err == nil {
		t.Error("encode of 1000 samples (not an Opus frame size): no error")
	}
	c, ok := dec.(Concealer)
	if !ok {
		t.Fatal("opus decoder is not a Concealer")
	}
	if n, err := c.Conceal(out[:960]); err != nil || n != 960 {
		t.Errorf("conceal 20 ms: %d, %v", n, err)
	}
	enc.(io.Closer).Close()
	if _, err := enc.Encode(buf, make([]int16, 960)); err == nil {
		t.Error("encode after close: no error")
	}
}

func TestOpusAvailable(t *testing.T) {
	c, err := Lookup("OPUS", 48000)
	if err != nil || c.Info().Name != "opus" {
		t.Fatalf("Lookup opus: %v", err)
	}
	if Available()[0].Info().Name != "opus" {
		t.Errorf("opus is not first in Available")
	}
}

func FuzzOpusDecode(f *testing.F) {
	enc, _ := Opus.NewEncoder()
	buf := make([]byte, 1500)
	n, _ := enc.Encode(buf, dsp.Sine(960, 440, 48000, 0.3))
	f.Add(buf[:n])
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Add([]byte{0x03})
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < 4; i++ {
		p := make([]byte, 1+rng.Intn(200))
		rng.Read(p)
		f.Add(p)
	}
	dec, _ := Opus.NewDecoder()
	out := make([]int16, 5760)
	f.Fuzz(func(t *testing.T, p []byte) {
		n, err := dec.Decode(out, p)
		if err == nil && (n <= 0 || n > 5760) {
			t.Fatalf("decoded %d samples", n)
		}
	})
}
