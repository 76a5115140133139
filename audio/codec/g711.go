package codec

import (
	"fmt"
	"sync"
)

// G.711 (ITU-T G.711): one byte per sample at 8 kHz, μ-law (PCMU, RTP
// payload type 0) and A-law (PCMA, payload type 8). Encoding works on the
// 16-bit sample directly with the segment (exponent) found from the
// position of the highest set bit; decoding uses 256-entry tables built
// from the same formulas at the first decode (not by the package's
// initialiser in every process that links it: BENCHMARKS.md, the idle
// agent's memory).

var decodeTables struct {
	once       sync.Once
	ulaw, alaw [256]int16
}

// g711Tables are the μ-law and A-law decoding tables.
func g711Tables() (ulaw, alaw *[256]int16) {
	t := &decodeTables
	t.once.Do(func() {
		for i := 0; i < 256; i++ {
			t.ulaw[i] = ulawToLinear(uint8(i))
			t.alaw[i] = alawToLinear(uint8(i))
		}
	})
	return &t.ulaw, &t.alaw
}

const ulawBias = 0x84 // 132: shifts the segment boundaries to powers of two

// LinearToULaw encodes one 16-bit sample to μ-law.
func LinearToULaw(s int16) uint8 {
	x := int(s)
	sign := 0
	if x < 0 {
		x = -x
		sign = 0x80
	}
	if x > 32635 {
		x = 32635 // so that x + bias stays within 15 bits
	}
	x += ulawBias
	// Segment: position of the highest set bit above bit 7 (0..7).
	seg := 0
	for v := x >> 8; v != 0; v >>= 1 {
		seg++
	}
	mant := (x >> (seg + 3)) & 0x0f
	return uint8(^(sign | seg<<4 | mant))
}

func ulawToLinear(u uint8) int16 {
	u = ^u
	seg := int(u>>4) & 7
	mant := int(u) & 0x0f
	x := ((mant<<3)+ulawBias)<<seg - ulawBias
	if u&0x80 != 0 {
		return int16(-x)
	}
	return int16(x)
}

// ULawToLinear decodes one μ-law byte.
func ULawToLinear(u uint8) int16 {
	ulaw, _ := g711Tables()
	return ulaw[u]
}

// LinearToALaw encodes one 16-bit sample to A-law.
func LinearToALaw(s int16) uint8 {
	x := int(s) >> 3 // A-law works on 13 bits
	sign := 0x80     // A-law: bit set means positive
	if x < 0 {
		x = -x - 1 // one's complement keeps -1 and 0 symmetric
		sign = 0
	}
	var seg, mant int
	if x < 32 {
		seg, mant = 0, x>>1
	} else {
		for v := x >> 5; v != 0; v >>= 1 {
			seg++
		}
		if seg > 7 {
			seg, mant = 7, 0x0f
		} else {
			mant = (x >> seg) & 0x0f
		}
	}
	return uint8((sign | seg<<4 | mant) ^ 0x55)
}

func alawToLinear(a uint8) int16 {
	a ^= 0x55
	seg := int(a>>4) & 7
	mant := int(a) & 0x0f
	var x int
	if seg == 0 {
		x = mant<<4 + 8
	} else {
		x = (mant<<4 + 0x108) << (seg - 1)
	}
	if a&0x80 == 0 {
		return int16(-x)
	}
	return int16(x)
}

// ALawToLinear decodes one A-law byte.
func ALawToLinear(a uint8) int16 {
	_, alaw := g711Tables()
	return alaw[a]
}

type g711 struct {
	info Info
	ulaw bool
}

// PCMU is G.711 μ-law, PCMA G.711 A-law.
var (
	PCMU Codec = g711{Info{Name: "PCMU", PayloadType: 0, Static: true, ClockRate: 8000, SampleRate: 8000, Channels: 1}, true}
	PCMA Codec = g711{Info{Name: "PCMA", PayloadType: 8, Static: true, ClockRate: 8000, SampleRate: 8000, Channels: 1}, false}
)

func (c g711) Info() Info                   { return c.info }
func (c g711) NewEncoder() (Encoder, error) { return g711Coder{c.ulaw}, nil }
func (c g711) NewDecoder() (Decoder, error) { return g711Coder{c.ulaw}, nil }

// g711Coder is stateless: one value serves as encoder and decoder.
type g711Coder struct{ ulaw bool }

func (c g711Coder) Encode(dst []byte, pcm []int16) (int, error) {
	if len(dst) < len(pcm) {
		return 0, fmt.Errorf("g711 encode: dst holds %d bytes, need %d", len(dst), len(pcm))
	}
	if c.ulaw {
		for i, s := range pcm {
			dst[i] = LinearToULaw(s)
		}
	} else {
		for i, s := range pcm {
			dst[i] = LinearToALaw(s)
		}
	}
	return len(pcm), nil
}

func (c g711Coder) Decode(dst []int16, payload []byte) (int, error) {
	if len(dst) < len(payload) {
		return 0, fmt.Errorf("g711 decode: dst holds %d samples, need %d", len(dst), len(payload))
	}
	ulaw, table := g711Tables()
	if c.ulaw {
		table = ulaw
	}
	for i, b := range payload {
		dst[i] = table[b]
	}
	return len(payload), nil
}
