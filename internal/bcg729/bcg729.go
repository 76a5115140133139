//go:build cgo && g729

package bcg729

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

// G.729 framing (RFC 3551 4.5.6): 10 ms frames of 80 samples at 8 kHz
// into 10 bytes, and Annex B SID frames of 2 bytes after the voice frames.
const (
	FrameSamples = 80
	FrameBytes   = 10
	SIDBytes     = 2
)

// Encoder is a bcg729 encoder channel.
type Encoder struct {
	mu      sync.Mutex
	st      *C.bcg729EncoderChannelContextStruct
	cleanup runtime.Cleanup
	outLen  C.uint8_t // here rather than on the stack, where cgo would make it escape
}

// NewEncoder makes an encoder; with vad it runs Annex B's VAD/DTX and
// sends SID frames (2 bytes) or nothing (0 bytes) in silence.
func NewEncoder(vad bool) (*Encoder, error) {
	enableVAD := C.uint8_t(0)
	if vad {
		enableVAD = 1
	}
	st := C.initBcg729EncoderChannel(enableVAD)
	if st == nil {
		return nil, fmt.Errorf("bcg729: create encoder failed")
	}
	e := &Encoder{st: st}
	e.cleanup = runtime.AddCleanup(e, func(st *C.bcg729EncoderChannelContextStruct) { C.closeBcg729EncoderChannel(st) }, st)
	return e, nil
}

// Encode codes pcm (a multiple of 80 samples) into 10 bytes per 80 (or,
// with VAD, a 2-byte SID frame or nothing for a frame of silence).
func (e *Encoder) Encode(dst []byte, pcm []int16) (int, error) {
	if len(pcm) == 0 || len(pcm)%FrameSamples != 0 {
		return 0, fmt.Errorf("g729 encode: %d samples, need a multiple of %d", len(pcm), FrameSamples)
	}
	need := len(pcm) / FrameSamples * FrameBytes
	if len(dst) < need {
		return 0, fmt.Errorf("g729 encode: dst holds %d bytes, need %d", len(dst), need)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st == nil {
		return 0, fmt.Errorf("g729 encode: encoder closed")
	}
	n := 0
	for off := 0; off < len(pcm); off += FrameSamples {
		C.bcg729Encoder(e.st, (*C.int16_t)(unsafe.Pointer(&pcm[off])), (*C.uint8_t)(unsafe.Pointer(&dst[n])), &e.outLen)
		n += int(e.outLen)
	}
	return n, nil
}

// Close frees the encoder.
func (e *Encoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st != nil {
		e.cleanup.Stop()
		C.closeBcg729EncoderChannel(e.st)
		e.st = nil
	}
	return nil
}

// Decoder is a bcg729 decoder channel.
type Decoder struct {
	mu      sync.Mutex
	st      *C.bcg729DecoderChannelContextStruct
	cleanup runtime.Cleanup
	erased  [FrameBytes]byte
}

// NewDecoder makes a decoder.
func NewDecoder() (*Decoder, error) {
	st := C.initBcg729DecoderChannel()
	if st == nil {
		return nil, fmt.Errorf("bcg729: create decoder failed")
	}
	d := &Decoder{st: st}
	d.cleanup = runtime.AddCleanup(d, func(st *C.bcg729DecoderChannelContextStruct) { C.closeBcg729DecoderChannel(st) }, st)
	return d, nil
}

// Decode decodes any number of 10-byte voice frames, optionally followed
// by one 2-byte SID frame, into 80 samples each.
func (d *Decoder) Decode(dst []int16, payload []byte) (int, error) {
	voice, rest := len(payload)/FrameBytes, len(payload)%FrameBytes
	if rest != 0 && rest != SIDBytes {
		return 0, fmt.Errorf("g729 decode: %d bytes is not 10-byte frames with an optional 2-byte SID", len(payload))
	}
	frames := voice
	if rest == SIDBytes {
		frames++
	}
	if frames == 0 {
		return 0, fmt.Errorf("g729 decode: empty payload")
	}
	if len(dst) < frames*FrameSamples {
		return 0, fmt.Errorf("g729 decode: dst holds %d samples, need %d", len(dst), frames*FrameSamples)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st == nil {
		return 0, fmt.Errorf("g729 decode: decoder closed")
	}
	for i := 0; i < voice; i++ {
		C.bcg729Decoder(d.st, (*C.uint8_t)(unsafe.Pointer(&payload[i*FrameBytes])), FrameBytes, 0, 0, 0,
			(*C.int16_t)(unsafe.Pointer(&dst[i*FrameSamples])))
	}
	if rest == SIDBytes {
		C.bcg729Decoder(d.st, (*C.uint8_t)(unsafe.Pointer(&payload[voice*FrameBytes])), SIDBytes, 0, 1, 0,
			(*C.int16_t)(unsafe.Pointer(&dst[voice*FrameSamples])))
	}
	return frames * FrameSamples, nil
}

// Conceal fills len(dst) samples (rounded down to whole 10 ms frames)
// with bcg729's frame erasure concealment.
func (d *Decoder) Conceal(dst []int16) (int, error) {
	frames := len(dst) / FrameSamples
	if frames == 0 {
		return 0, fmt.Errorf("g729 conceal: dst holds %d samples, need at least %d", len(dst), FrameSamples)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st == nil {
		return 0, fmt.Errorf("g729 conceal: decoder closed")
	}
	for i := 0; i < frames; i++ {
		C.bcg729Decoder(d.st, (*C.uint8_t)(unsafe.Pointer(&d.erased[0])), FrameBytes, 1, 0, 0,
			(*C.int16_t)(unsafe.Pointer(&dst[i*FrameSamples])))
	}
	return frames * FrameSamples, nil
}

// Close frees the decoder.
func (d *Decoder) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st != nil {
		d.cleanup.Stop()
		C.closeBcg729DecoderChannel(d.st)
		d.st = nil
	}
	return nil
}
