package dsp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// WAV is decoded RIFF/WAVE audio as 16-bit samples, channels interleaved.
type WAV struct {
	Rate     int
	Channels int
	Samples  []int16
}

// ErrWAV reports a file that is not a WAV this reader understands.
var ErrWAV = errors.New("not a supported WAV file")

// MaxWAVSize bounds what ReadWAV reads (a ringtone or a test recording,
// not an album).
const MaxWAVSize = 64 << 20

// ReadWAV reads a whole WAV file of at most MaxWAVSize bytes.
func ReadWAV(r io.Reader) (*WAV, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxWAVSize+1))
	if err != nil {
		return nil, fmt.Errorf("read wav: %w", err)
	}
	if len(b) > MaxWAVSize {
		return nil, fmt.Errorf("read wav: larger than %d bytes", MaxWAVSize)
	}
	return ParseWAV(b)
}

// ParseWAV decodes a WAV file held in b: PCM of 8, 16, 24 or 32 bits or
// 32-bit float (plain or WAVE_FORMAT_EXTENSIBLE), 1 to 8 channels, all
// converted to 16 bits. A data chunk that claims more bytes than the file
// holds (a recording cut short) is read as far as it goes.
func ParseWAV(b []byte) (*WAV, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, fmt.Errorf("parse wav: no RIFF/WAVE header: %w", ErrWAV)
	}
	b = b[12:]
	var (
		haveFmt              bool
		format, channels     int
		rate, bits, blockLen int
	)
	for len(b) >= 8 {
		id := string(b[0:4])
		size := int64(binary.LittleEndian.Uint32(b[4:8]))
		b = b[8:]
		if size > int64(len(b)) {
			if id != "data" {
				return nil, fmt.Errorf("parse wav: chunk %q of %d bytes, %d left: %w", id, size, len(b), ErrWAV)
			}
			size = int64(len(b))
		}
		body := b[:size]
		b = b[size:]
		if size%2 == 1 && len(b) > 0 {
			b = b[1:] // chunks are padded to even sizes
		}
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return nil, fmt.Errorf("parse wav: fmt chunk of %d bytes: %w", len(body), ErrWAV)
			}
			format = int(binary.LittleEndian.Uint16(body[0:]))
			channels = int(binary.LittleEndian.Uint16(body[2:]))
			rate = int(binary.LittleEndian.Uint32(body[4:]))
			blockLen = int(binary.LittleEndian.Uint16(body[12:]))
			bits = int(binary.LittleEndian.Uint16(body[14:]))
			if format == 0xfffe { // WAVE_FORMAT_EXTENSIBLE: the subformat GUID starts with the format
				if len(body) < 26 {
					return nil, fmt.Errorf("parse wav: short extensible fmt chunk: %w", ErrWAV)
				}
				format = int(binary.LittleEndian.Uint16(body[24:]))
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, fmt.Errorf("parse wav: data before fmt: %w", ErrWAV)
			}
			return decodeWAVData(body, format, channels, rate, bits, blockLen)
		}
	}
	return nil, fmt.Errorf("parse wav: no data chunk: %w", ErrWAV)
}

func decodeWAVData(body []byte, format, channels, rate, bits, blockLen int) (*WAV, error) {
	if channels < 1 || channels > 8 || rate < 1 || rate > 384000 {
		return nil, fmt.Errorf("parse wav: %d channels at %d Hz: %w", channels, rate, ErrWAV)
	}
	okBits := (format == 1 && (bits == 8 || bits == 16 || bits == 24 || bits == 32)) || (format == 3 && bits == 32)
	if !okBits {
		return nil, fmt.Errorf("parse wav: format %d with %d bits: %w", format, bits, ErrWAV)
	}
	width := bits / 8
	if blockLen != width*channels {
		return nil, fmt.Errorf("parse wav: block of %d bytes for %d channels of %d bits: %w", blockLen, channels, bits, ErrWAV)
	}
	n := len(body) / blockLen * channels
	w := &WAV{Rate: rate, Channels: channels, Samples: make([]int16, n)}
	for i := range w.Samples {
		p := body[i*width:]
		switch {
		case bits == 8: // unsigned
			w.Samples[i] = int16(int(p[0])-128) << 8
		case bits == 16:
			w.Samples[i] = int16(binary.LittleEndian.Uint16(p))
		case bits == 24:
			w.Samples[i] = int16(uint16(p[1]) | uint16(p[2])<<8)
		case format == 1: // 32-bit integer
			w.Samples[i] = int16(binary.LittleEndian.Uint32(p) >> 16)
		default: // 32-bit float
			f := float64(math.Float32frombits(binary.LittleEndian.Uint32(p)))
			if math.IsNaN(f) {
				f = 0
			}
			w.Samples[i] = clamp16(f * 32767)
		}
	}
	return w, nil
}

// Mono returns the samples with channels averaged.
func (w *WAV) Mono() []int16 {
	if w.Channels <= 1 {
		return w.Samples
	}
	out := make([]int16, len(w.Samples)/w.Channels)
	for i := range out {
		sum := 0
		for c := 0; c < w.Channels; c++ {
			sum += int(w.Samples[i*w.Channels+c])
		}
		out[i] = int16(sum / w.Channels)
	}
	return out
}

// WriteWAV writes 16-bit PCM samples (channels interleaved) as a WAV file.
func WriteWAV(wr io.Writer, rate, channels int, samples []int16) error {
	if channels < 1 || channels > 8 || rate < 1 || rate > 384000 {
		return fmt.Errorf("write wav: %d channels at %d Hz", channels, rate)
	}
	dataLen := 2 * len(samples)
	if uint64(dataLen) > math.MaxUint32-36 {
		return fmt.Errorf("write wav: %d samples is too many for one file", len(samples))
	}
	h := make([]byte, 44, 44+dataLen)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+dataLen))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1)
	binary.LittleEndian.PutUint16(h[22:], uint16(channels))
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*channels*2))
	binary.LittleEndian.PutUint16(h[32:], uint16(channels*2))
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(dataLen))
	for _, s := range samples {
		h = binary.LittleEndian.AppendUint16(h, uint16(s))
	}
	if _, err := wr.Write(h); err != nil {
		return fmt.Errorf("write wav: %w", err)
	}
	return nil
}
