//go:build cgo && opus

package codec

/*
#cgo pkg-config: opus
#include <stdlib.h>
#include <opus.h>

// opus_encoder_ctl is variadic, which cgo cannot call: one wrapper per
// request we use.
static int bp_opus_set_bitrate(OpusEncoder *e, opus_int32 v) { return opus_encoder_ctl(e, OPUS_SET_BITRATE(v)); }
static int bp_opus_set_fec(OpusEncoder *e, opus_int32 v) { return opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(v)); }
static int bp_opus_set_loss(OpusEncoder *e, opus_int32 v) { return opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(v)); }
static int bp_opus_set_complexity(OpusEncoder *e, opus_int32 v) { return opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(v)); }
static int bp_opus_set_signal_voice(OpusEncoder *e) { return opus_encoder_ctl(e, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)); }
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// Opus (RFC 6716, RTP per RFC 7587) through libopus: mono at 48 kHz, VoIP
// application, 32 kbit/s VBR, in-band FEC on. Frames of 2.5 to 60 ms
// (120 to 2880 samples) encode; the decoder takes any packet up to 120 ms.
// Built only with cgo and the "opus" build tag.

// Opus is the Opus codec, present only in builds with cgo and -tags opus.
var Opus Codec = opusCodec{}

// cgoCodecs are the codecs of this build that need cgo.
func cgoCodecs() []entry { return []entry{{prefOpus, Opus}} }

const (
	opusRate       = 48000
	opusBitrate    = 32000
	opusComplexity = 5 // a desktop helper shares the CPU with a browser
	opusMaxFrame   = 5760
)

type opusCodec struct{}

func (opusCodec) Info() Info {
	return Info{Name: "opus", PayloadType: 111, ClockRate: opusRate, SampleRate: opusRate, Channels: 2,
		FMTP: "minptime=10;useinbandfec=1"}
}

func opusError(op string, code C.int) error {
	return fmt.Errorf("opus %s: %s", op, C.GoString(C.opus_strerror(code)))
}

func (opusCodec) NewEncoder() (Encoder, error) {
	var code C.int
	st := C.opus_encoder_create(opusRate, 1, C.OPUS_APPLICATION_VOIP, &code)
	if code != C.OPUS_OK || st == nil {
		return nil, opusError("create encoder", code)
	}
	for _, set := range []struct {
		what string
		code C.int
	}{
		{"bitrate", C.bp_opus_set_bitrate(st, opusBitrate)},
		{"fec", C.bp_opus_set_fec(st, 1)},
		{"packet loss", C.bp_opus_set_loss(st, 5)},
		{"complexity", C.bp_opus_set_complexity(st, opusComplexity)},
		{"signal", C.bp_opus_set_signal_voice(st)},
	} {
		if set.code != C.OPUS_OK {
			C.opus_encoder_destroy(st)
			return nil, opusError("set "+set.what, set.code)
		}
	}
	e := &OpusEncoder{st: st}
	e.cleanup = runtime.AddCleanup(e, func(st *C.OpusEncoder) { C.opus_encoder_destroy(st) }, st)
	return e, nil
}

func (opusCodec) NewDecoder() (Decoder, error) {
	var code C.int
	st := C.opus_decoder_create(opusRate, 1, &code)
	if code != C.OPUS_OK || st == nil {
		return nil, opusError("create decoder", code)
	}
	d := &OpusDecoder{st: st}
	d.cleanup = runtime.AddCleanup(d, func(st *C.OpusDecoder) { C.opus_decoder_destroy(st) }, st)
	return d, nil
}

// OpusEncoder wraps a libopus encoder. Close frees it at once; otherwise
// the garbage collector does.
type OpusEncoder struct {
	mu      sync.Mutex
	st      *C.OpusEncoder
	cleanup runtime.Cleanup
}

// Encode codes one frame of 48 kHz mono PCM.
func (e *OpusEncoder) Encode(dst []byte, pcm []int16) (int, error) {
	if len(pcm) == 0 || len(dst) == 0 {
		return 0, fmt.Errorf("opus encode: empty frame or dst")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st == nil {
		return 0, fmt.Errorf("opus encode: encoder closed")
	}
	n := C.opus_encode(e.st, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)),
		(*C.uchar)(unsafe.Pointer(&dst[0])), C.opus_int32(len(dst)))
	if n < 0 {
		return 0, opusError(fmt.Sprintf("encode %d samples", len(pcm)), n)
	}
	return int(n), nil
}

// Close frees the encoder.
func (e *OpusEncoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st != nil {
		e.cleanup.Stop()
		C.opus_encoder_destroy(e.st)
		e.st = nil
	}
	return nil
}

// OpusDecoder wraps a libopus decoder.
type OpusDecoder struct {
	mu      sync.Mutex
	st      *C.OpusDecoder
	cleanup runtime.Cleanup
}

// Decode decodes one packet into dst (up to 5760 samples, 120 ms).
func (d *OpusDecoder) Decode(dst []int16, payload []byte) (int, error) {
	if len(payload) == 0 {
		return 0, fmt.Errorf("opus decode: empty payload")
	}
	return d.decode(dst, payload)
}

// Conceal fills len(dst) samples (a multiple of 2.5 ms) by libopus's
// packet loss concealment.
func (d *OpusDecoder) Conceal(dst []int16) (int, error) { return d.decode(dst, nil) }

func (d *OpusDecoder) decode(dst []int16, payload []byte) (int, error) {
	if len(dst) == 0 {
		return 0, fmt.Errorf("opus decode: empty dst")
	}
	frame := len(dst)
	if frame > opusMaxFrame {
		frame = opusMaxFrame
	}
	var data *C.uchar
	if len(payload) > 0 {
		data = (*C.uchar)(unsafe.Pointer(&payload[0]))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st == nil {
		return 0, fmt.Errorf("opus decode: decoder closed")
	}
	n := C.opus_decode(d.st, data, C.opus_int32(len(payload)), (*C.opus_int16)(unsafe.Pointer(&dst[0])), C.int(frame), 0)
	if n < 0 {
		return 0, opusError(fmt.Sprintf("decode %d bytes", len(payload)), n)
	}
	return int(n), nil
}

// Close frees the decoder.
func (d *OpusDecoder) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st != nil {
		d.cleanup.Stop()
		C.opus_decoder_destroy(d.st)
		d.st = nil
	}
	return nil
}
