//go:build cgo && g729

package codec

/*
#cgo pkg-config: libbcg729
#include <stdint.h>
#include <bcg729/encoder.h>
#include <bcg729/decoder.h>
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// G.729 (ITU-T G.729 Annex A, as bcg729 implements it): 10 ms frames of
// 80 samples at 8 kHz into 10 bytes, 8 kbit/s. We send without VAD
// (annexb=no) and accept Annex B SID frames (2 bytes after the voice
// frames, RFC 3551 4.5.6) on receipt. Built only with cgo and the "g729"
// build tag.

// G729 is the G.729 codec, present only in builds with cgo and -tags g729.
var G729 Codec = g729Codec{}

func init() { register(prefG729, G729) }

const (
	g729Frame    = 80 // samples per 10 ms frame
	g729FrameLen = 10 // bytes per voice frame
	g729SIDLen   = 2  // bytes per Annex B SID frame
)

type g729Codec struct{}

func (g729Codec) Info() Info {
	return Info{Name: "G729", PayloadType: 18, Static: true, ClockRate: 8000, SampleRate: 8000, Channels: 1,
		FMTP: "annexb=no"}
}

func (g729Codec) NewEncoder() (Encoder, error) {
	st := C.initBcg729EncoderChannel(0)
	if st == nil {
		return nil, fmt.Errorf("g729: create encoder failed")
	}
	e := &G729Encoder{st: st}
	e.cleanup = runtime.AddCleanup(e, func(st *C.bcg729EncoderChannelContextStruct) { C.closeBcg729EncoderChannel(st) }, st)
	return e, nil
}

func (g729Codec) NewDecoder() (Decoder, error) {
	st := C.initBcg729DecoderChannel()
	if st == nil {
		return nil, fmt.Errorf("g729: create decoder failed")
	}
	d := &G729Decoder{st: st}
	d.cleanup = runtime.AddCleanup(d, func(st *C.bcg729DecoderChannelContextStruct) { C.closeBcg729DecoderChannel(st) }, st)
	return d, nil
}

// G729Encoder wraps a bcg729 encoder channel.
type G729Encoder struct {
	mu      sync.Mutex
	st      *C.bcg729EncoderChannelContextStruct
	cleanup runtime.Cleanup
	outLen  C.uint8_t // here rather than on the stack, where cgo would make it escape
}

// Encode codes pcm (a multiple of 80 samples) into 10 bytes per 80.
func (e *G729Encoder) Encode(dst []byte, pcm []int16) (int, error) {
	if len(pcm) == 0 || len(pcm)%g729Frame != 0 {
		return 0, fmt.Errorf("g729 encode: %d samples, need a multiple of %d", len(pcm), g729Frame)
	}
	need := len(pcm) / g729Frame * g729FrameLen
	if len(dst) < need {
		return 0, fmt.Errorf("g729 encode: dst holds %d bytes, need %d", len(dst), need)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st == nil {
		return 0, fmt.Errorf("g729 encode: encoder closed")
	}
	n := 0
	for off := 0; off < len(pcm); off += g729Frame {
		C.bcg729Encoder(e.st, (*C.int16_t)(unsafe.Pointer(&pcm[off])), (*C.uint8_t)(unsafe.Pointer(&dst[n])), &e.outLen)
		n += int(e.outLen)
	}
	return n, nil
}

// Close frees the encoder.
func (e *G729Encoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st != nil {
		e.cleanup.Stop()
		C.closeBcg729EncoderChannel(e.st)
		e.st = nil
	}
	return nil
}

// G729Decoder wraps a bcg729 decoder channel.
type G729Decoder struct {
	mu      sync.Mutex
	st      *C.bcg729DecoderChannelContextStruct
	cleanup runtime.Cleanup
	erased  [g729FrameLen]byte
}

// Decode decodes any number of 10-byte voice frames, optionally followed
// by one 2-byte SID frame, into 80 samples each.
func (d *G729Decoder) Decode(dst []int16, payload []byte) (int, error) {
	voice, rest := len(payload)/g729FrameLen, len(payload)%g729FrameLen
	if rest != 0 && rest != g729SIDLen {
		return 0, fmt.Errorf("g729 decode: %d bytes is not 10-byte frames with an optional 2-byte SID", len(payload))
	}
	frames := voice
	if rest == g729SIDLen {
		frames++
	}
	if frames == 0 {
		return 0, fmt.Errorf("g729 decode: empty payload")
	}
	if len(dst) < frames*g729Frame {
		return 0, fmt.Errorf("g729 decode: dst holds %d samples, need %d", len(dst), frames*g729Frame)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st == nil {
		return 0, fmt.Errorf("g729 decode: decoder closed")
	}
	for i := 0; i < voice; i++ {
		C.bcg729Decoder(d.st, (*C.uint8_t)(unsafe.Pointer(&payload[i*g729FrameLen])), g729FrameLen, 0, 0, 0,
			(*C.int16_t)(unsafe.Pointer(&dst[i*g729Frame])))
	}
	if rest == g729SIDLen {
		C.bcg729Decoder(d.st, (*C.uint8_t)(unsafe.Pointer(&payload[voice*g729FrameLen])), g729SIDLen, 0, 1, 0,
			(*C.int16_t)(unsafe.Pointer(&dst[voice*g729Frame])))
	}
	return frames * g729Frame, nil
}

// Conceal fills len(dst) samples (rounded down to whole 10 ms frames)
// with bcg729's frame erasure concealment.
func (d *G729Decoder) Conceal(dst []int16) (int, error) {
	frames := len(dst) / g729Frame
	if frames == 0 {
		return 0, fmt.Errorf("g729 conceal: dst holds %d samples, need at least %d", len(dst), g729Frame)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st == nil {
		return 0, fmt.Errorf("g729 conceal: decoder closed")
	}
	for i := 0; i < frames; i++ {
		C.bcg729Decoder(d.st, (*C.uint8_t)(unsafe.Pointer(&d.erased[0])), g729FrameLen, 1, 0, 0,
			(*C.int16_t)(unsafe.Pointer(&dst[i*g729Frame])))
	}
	return frames * g729Frame, nil
}

// Close frees the decoder.
func (d *G729Decoder) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st != nil {
		d.cleanup.Stop()
		C.closeBcg729DecoderChannel(d.st)
		d.st = nil
	}
	return nil
}
