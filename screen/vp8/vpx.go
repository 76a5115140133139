//go:build vpx && cgo

package vp8

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>

// The settings of the package doc; returns a vpx_codec_err_t.
static int bp_enc_init(vpx_codec_ctx_t *ctx, int w, int h, int fps, int kbps) {
	vpx_codec_enc_cfg_t cfg;
	int err = vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0);
	if (err) return err;
	cfg.g_w = w;
	cfg.g_h = h;
	cfg.g_timebase.num = 1;
	cfg.g_timebase.den = fps;
	cfg.g_threads = 1;
	cfg.g_error_resilient = 0;
	cfg.g_lag_in_frames = 0;
	cfg.g_pass = VPX_RC_ONE_PASS;
	cfg.rc_end_usage = VPX_VBR;
	cfg.rc_target_bitrate = kbps;
	cfg.rc_min_quantizer = 4;
	cfg.rc_max_quantizer = 56;
	cfg.rc_dropframe_thresh = 0;
	cfg.kf_mode = VPX_KF_AUTO;
	cfg.kf_max_dist = fps * 60;
	err = vpx_codec_enc_init(ctx, vpx_codec_vp8_cx(), &cfg, 0);
	if (err) return err;
	if ((err = vpx_codec_control(ctx, VP8E_SET_CPUUSED, 12))) return err;
	if ((err = vpx_codec_control(ctx, VP8E_SET_SCREEN_CONTENT_MODE, 1))) return err;
	if ((err = vpx_codec_control(ctx, VP8E_SET_STATIC_THRESHOLD, 1))) return err;
	if ((err = vpx_codec_control(ctx, VP8E_SET_NOISE_SENSITIVITY, 0))) return err;
	return 0;
}

static int bp_encode(vpx_codec_ctx_t *ctx, vpx_image_t *img, long pts, int force_key) {
	return vpx_codec_encode(ctx, img, pts, 1, force_key ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME);
}

// bp_output is where bp_next_frame says what it found: C memory, so that
// passing it does not make Go allocate per frame.
typedef struct {
	vpx_codec_iter_t it;
	const void *data;
	size_t size;
	int key;
} bp_output;

// bp_next_frame finds the next compressed frame; 0 when there is none.
static int bp_next_frame(vpx_codec_ctx_t *ctx, bp_output *o) {
	const vpx_codec_cx_pkt_t *pkt;
	while ((pkt = vpx_codec_get_cx_data(ctx, &o->it)) != NULL) {
		if (pkt->kind == VPX_CODEC_CX_FRAME_PKT) {
			o->data = pkt->data.frame.buf;
			o->size = pkt->data.frame.sz;
			o->key = (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
			return 1;
		}
	}
	return 0;
}

// bp_set_active hands libvpx the changed macroblocks (1) of the next frame.
static int bp_set_active(vpx_codec_ctx_t *ctx, unsigned char *map, int rows, int cols) {
	vpx_active_map_t m = {map, rows, cols};
	return vpx_codec_control(ctx, VP8E_SET_ACTIVEMAP, &m);
}

// bp_release_freed hands the C heap's free pages back to the system
// (glibc only: others have no malloc_trim). libvpx's 1080p encoder holds
// some 70 MB in blocks of a few MB; once freed, glibc keeps them in the
// arena of whichever thread the cgo call ran on, and an idle agent would
// sit on tens of MB after a recording.
#ifdef __GLIBC__
#include <malloc.h>
static void bp_release_freed(void) { malloc_trim(0); }
#else
static void bp_release_freed(void) {}
#endif

static int bp_dec_init(vpx_codec_ctx_t *ctx) {
	vpx_codec_dec_cfg_t cfg = {0};
	cfg.threads = 1;
	return vpx_codec_dec_init(ctx, vpx_codec_vp8_dx(), &cfg, 0);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/openbpclient/bpclient/screen"
)

// Available reports whether this build has libvpx.
func Available() bool { return true }

// Encoder is one VP8 stream. It is used from one goroutine at a time.
type Encoder struct {
	cfg   EncoderConfig
	ctx   *C.vpx_codec_ctx_t // C memory: libvpx keeps pointers into it
	img   *C.vpx_image_t
	found *C.bp_output
	// changes and active (C memory, cols×rows) mark the macroblocks
	// that differ from the last frame.
	changes *changeMap
	active  []byte
	last    sourceCopy
	conv    converter
	pts     int64
	out     []byte
}

// NewEncoder starts an encoder for c.
func NewEncoder(c EncoderConfig) (*Encoder, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	ctx := (*C.vpx_codec_ctx_t)(C.calloc(1, C.sizeof_vpx_codec_ctx_t))
	if err := C.bp_enc_init(ctx, C.int(c.Width), C.int(c.Height), C.int(c.FPS), C.int(c.BitrateKbps)); err != 0 {
		msg := vpxError(ctx, err)
		C.vpx_codec_destroy(ctx)
		C.free(unsafe.Pointer(ctx))
		return nil, fmt.Errorf("vp8: encoder %dx%d at %d fps, %d kb/s: %s", c.Width, c.Height, c.FPS, c.BitrateKbps, msg)
	}
	img := C.vpx_img_alloc(nil, C.VPX_IMG_FMT_I420, C.uint(c.Width), C.uint(c.Height), 16)
	if img == nil {
		C.vpx_codec_destroy(ctx)
		C.free(unsafe.Pointer(ctx))
		return nil, errors.New("vp8: no memory for the encoder's image")
	}
	found := (*C.bp_output)(C.calloc(1, C.sizeof_bp_output))
	changes := newChangeMap(c.Width, c.Height)
	n := changes.cols * changes.rows
	active := unsafe.Slice((*byte)(C.calloc(C.size_t(n), 1)), n)
	return &Encoder{cfg: c, ctx: ctx, img: img, found: found, changes: changes, active: active}, nil
}

// Encode converts f (scaled to the configured size) and encodes it; a
// keyframe when forceKey or when libvpx decides.
func (e *Encoder) Encode(f *screen.Frame, forceKey bool) (Packet, error) {
	if e.ctx == nil {
		return Packet{}, errors.New("vp8: encoder closed")
	}
	if f.Width < 1 || f.Height < 1 || len(f.Pix) < f.Stride*f.Height {
		return Packet{}, fmt.Errorf("vp8: frame %dx%d with %d bytes at stride %d", f.Width, f.Height, len(f.Pix), f.Stride)
	}
	if e.last.same(f) {
		// libvpx's image still holds this picture: nothing changed.
		clear(e.active)
	} else {
		p := imagePlanes(e.img)
		e.conv.bgrxToI420(&p, f)
		e.changes.update(&p, e.active)
		e.last.keep(f)
	}
	key := C.int(0)
	if forceKey {
		key = 1
		for i := range e.active { // a keyframe codes everything
			e.active[i] = 1
		}
	}
	if err := C.bp_set_active(e.ctx, (*C.uchar)(&e.active[0]), C.int(e.changes.rows), C.int(e.changes.cols)); err != 0 {
		return Packet{}, fmt.Errorf("vp8: set the changed macroblocks: %s", vpxError(e.ctx, err))
	}
	if err := C.bp_encode(e.ctx, e.img, C.long(e.pts), key); err != 0 {
		return Packet{}, fmt.Errorf("vp8: encode frame %d: %s", e.pts, vpxError(e.ctx, err))
	}
	e.pts++
	pkt := Packet{}
	e.out = e.out[:0]
	o := e.found
	o.it = nil
	for C.bp_next_frame(e.ctx, o) != 0 {
		e.out = append(e.out, unsafe.Slice((*byte)(o.data), int(o.size))...)
		pkt.Key = pkt.Key || o.key != 0
	}
	pkt.Data = e.out
	return pkt, nil
}

// Close frees the encoder.
func (e *Encoder) Close() {
	if e.ctx != nil {
		C.vpx_codec_destroy(e.ctx)
		C.free(unsafe.Pointer(e.ctx))
		C.vpx_img_free(e.img)
		C.free(unsafe.Pointer(e.found))
		C.free(unsafe.Pointer(&e.active[0]))
		e.ctx, e.img, e.found, e.active = nil, nil, nil, nil
		C.bp_release_freed()
	}
}

// Decoder turns a VP8 stream back into frames.
type Decoder struct {
	ctx *C.vpx_codec_ctx_t
}

// NewDecoder starts a decoder.
func NewDecoder() (*Decoder, error) {
	ctx := (*C.vpx_codec_ctx_t)(C.calloc(1, C.sizeof_vpx_codec_ctx_t))
	if err := C.bp_dec_init(ctx); err != 0 {
		msg := vpxError(ctx, err)
		C.free(unsafe.Pointer(ctx))
		return nil, fmt.Errorf("vp8: decoder: %s", msg)
	}
	return &Decoder{ctx: ctx}, nil
}

// Decode decodes one frame into f (resized to the stream's size, its Pix
// reused).
func (d *Decoder) Decode(data []byte, f *screen.Frame) error {
	if d.ctx == nil {
		return errors.New("vp8: decoder closed")
	}
	if len(data) == 0 {
		return errors.New("vp8: empty frame")
	}
	// libvpx reads data during the call only (no frame threads), so it
	// is passed as is, not copied into C memory.
	if err := C.vpx_codec_decode(d.ctx, (*C.uint8_t)(&data[0]), C.uint(len(data)), nil, 0); err != 0 {
		return fmt.Errorf("vp8: decode %d bytes: %s", len(data), vpxError(d.ctx, C.int(err)))
	}
	var it C.vpx_codec_iter_t
	img := C.vpx_codec_get_frame(d.ctx, &it)
	if img == nil {
		return errors.New("vp8: the decoder gave no picture")
	}
	if img.fmt != C.VPX_IMG_FMT_I420 {
		return fmt.Errorf("vp8: decoded picture in format %d, want I420", int(img.fmt))
	}
	p := imagePlanes(img)
	i420ToBGRX(f, &p)
	return nil
}

// Close frees the decoder.
func (d *Decoder) Close() {
	if d.ctx != nil {
		C.vpx_codec_destroy(d.ctx)
		C.free(unsafe.Pointer(d.ctx))
		d.ctx = nil
	}
}

// imagePlanes views a libvpx I420 image's planes as Go slices.
func imagePlanes(img *C.vpx_image_t) planes {
	w, h := int(img.d_w), int(img.d_h)
	ys, cs := int(img.stride[0]), int(img.stride[1])
	ch := (h + 1) / 2
	return planes{Width: w, Height: h, YStride: ys, CStride: cs,
		Y: unsafe.Slice((*byte)(unsafe.Pointer(img.planes[0])), ys*h),
		U: unsafe.Slice((*byte)(unsafe.Pointer(img.planes[1])), cs*ch),
		V: unsafe.Slice((*byte)(unsafe.Pointer(img.planes[2])), int(img.stride[2])*ch)}
}

func vpxError(ctx *C.vpx_codec_ctx_t, err C.int) string {
	msg := C.GoString(C.vpx_codec_err_to_string(C.vpx_codec_err_t(err)))
	if detail := C.vpx_codec_error_detail(ctx); detail != nil {
		msg += ": " + C.GoString(detail)
	}
	return msg
}
