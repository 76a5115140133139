package g729

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"testing"
)

// goldenDigest is the SHA-256 of the bitstream and decoded samples of
// the signal below on linux/amd64 (and linux/386, checked the same day). The codec is integer arithmetic only, so
// every GOOS/GOARCH (386's 32-bit int included) must give the same bytes;
// a change of this value is a change of the codec's output and needs the
// quality tests (audio/codec, -tags g729) run again.
const goldenDigest = "e40402f9784e236577ef6fe0a8bc2cc3c5b715176e7ad6f424af524f2be50ede"

// TestOutputIsTheSameOnEveryPlatform: a rising chirp with a second tone
// through the encoder and decoder, with an erased frame and a SID frame,
// gives goldenDigest.
func TestOutputIsTheSameOnEveryPlatform(t *testing.T) {
	enc, dec := NewEncoder(), NewDecoder()
	h := sha256.New()
	pcm := make([]int16, FrameSamples)
	bits := make([]byte, FrameBytes)
	out := make([]int16, FrameSamples)
	var b [2]byte
	for f := range 100 {
		for i := range pcm {
			n := float64(f*FrameSamples + i)
			pcm[i] = int16(8000*math.Sin(2*math.Pi*(200+n/20)*n/8000) + 3000*math.Sin(2*math.Pi*700*n/8000))
		}
		if _, err := enc.Encode(bits, pcm); err != nil {
			t.Fatal(err)
		}
		h.Write(bits)
		if f == 50 {
			_, _ = dec.Conceal(out)
		} else {
			_, _ = dec.Decode(out, bits)
		}
		for _, s := range out {
			binary.LittleEndian.PutUint16(b[:], uint16(s))
			h.Write(b[:])
		}
	}
	_, _ = dec.Decode(out, []byte{0x5a, 0x3c})
	for _, s := range out {
		binary.LittleEndian.PutUint16(b[:], uint16(s))
		h.Write(b[:])
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != goldenDigest {
		t.Errorf("output digest %s, want %s (see goldenDigest)", got, goldenDigest)
	}
}
