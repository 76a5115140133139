//go:build vpx && cgo

package vp8

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/screen"
	"github.com/openbpclient/bpclient/screen/internal/pattern"
)

// tolerance per channel after VP8 at a moderate bitrate and YUV rounding,
// checked in the middle of flat areas.
const tolerance = 16

func newEncoder(t testing.TB, c EncoderConfig) *Encoder {
	t.Helper()
	e, err := NewEncoder(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// Colour bars at 1080p come back from our encoder and decoder with their
// colours in place, at full size and scaled to 1280×720.
func TestEncodeDecodeBars(t *testing.T) {
	var src screen.Frame
	pattern.DrawBars(&src, 1920, 1080)
	for _, out := range [][2]int{{1920, 1080}, {1280, 720}} {
		t.Run(fmt.Sprintf("%dx%d", out[0], out[1]), func(t *testing.T) {
			e := newEncoder(t, EncoderConfig{Width: out[0], Height: out[1], FPS: 2})
			d, err := NewDecoder()
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			var got screen.Frame
			for i := range 3 {
				pkt, err := e.Encode(&src, false)
				if err != nil {
					t.Fatal(err)
				}
				if pkt.Key != (i == 0) {
					t.Errorf("frame %d: key %v", i, pkt.Key)
				}
				if err := d.Decode(pkt.Data, &got); err != nil {
					t.Fatal(err)
				}
			}
			if got.Width != out[0] || got.Height != out[1] {
				t.Fatalf("decoded %dx%d, want %dx%d", got.Width, got.Height, out[0], out[1])
			}
			for i, c := range pattern.Bars {
				for _, y := range []int{10, out[1] / 2, out[1] - 10} {
					if x := pattern.BarCentre(i, out[0]); !pattern.Near(&got, x, y, c, tolerance) {
						r, g, b := got.At(x, y)
						t.Errorf("bar %d at %d,%d: %02x%02x%02x, want %06x", i, x, y, r, g, b, c)
					}
				}
			}
		})
	}
}

// A keyframe comes when asked for, and only then after the first.
func TestForceKey(t *testing.T) {
	var src screen.Frame
	pattern.DrawBars(&src, 640, 360)
	e := newEncoder(t, EncoderConfig{Width: 640, Height: 360, FPS: 5})
	for i := range 8 {
		pkt, err := e.Encode(&src, i == 5)
		if err != nil {
			t.Fatal(err)
		}
		if want := i == 0 || i == 5; pkt.Key != want {
			t.Errorf("frame %d: key %v, want %v", i, pkt.Key, want)
		}
	}
}

// A frame that did not change costs next to nothing; one with a moving
// box costs more; encoding allocates nothing once warm.
func TestStaticFramesCostNextToNothing(t *testing.T) {
	// (BenchmarkEncode1080p reports 1, 2 and 5 fps; one rate is enough
	// to hold the property.)
	for _, fps := range []int{2} {
		st := measure(t, fps, 6, false)
		ch := measure(t, fps, 6, true)
		t.Logf("1080p %d fps (%d kb/s): static %.0f B/frame %.1f ms/frame; moving box %.0f B/frame %.1f ms/frame; keyframe %d B (timing under the machine's current load)",
			fps, DefaultBitrateKbps(1920, 1080, fps), st.bytesPerFrame, st.msPerFrame, ch.bytesPerFrame, ch.msPerFrame, st.keyBytes)
		if st.bytesPerFrame > 300 {
			t.Errorf("%d fps: %.0f bytes per unchanged frame, want at most 300", fps, st.bytesPerFrame)
		}
		if ch.bytesPerFrame < 2*st.bytesPerFrame {
			t.Errorf("%d fps: a changing frame %.0f bytes vs a static %.0f: the change is not coded", fps, ch.bytesPerFrame, st.bytesPerFrame)
		}
	}
	var src screen.Frame
	pattern.DrawBars(&src, 1920, 1080)
	e := newEncoder(t, EncoderConfig{Width: 1920, Height: 1080, FPS: 2})
	e.Encode(&src, false)
	e.Encode(&src, false)
	if n := testing.AllocsPerRun(5, func() { e.Encode(&src, false) }); n != 0 {
		t.Errorf("%v allocations per static frame, want 0", n)
	}
}

type cost struct {
	bytesPerFrame, msPerFrame float64
	keyBytes                  int
}

// measure encodes frames 1080p frames after the keyframe: the bars alone,
// or with a 160-pixel box moving 40 pixels a frame.
func measure(t *testing.T, fps, frames int, moving bool) cost {
	var src screen.Frame
	pattern.DrawBars(&src, 1920, 1080)
	e := newEncoder(t, EncoderConfig{Width: 1920, Height: 1080, FPS: fps})
	key, err := e.Encode(&src, false)
	if err != nil {
		t.Fatal(err)
	}
	c := cost{keyBytes: len(key.Data)}
	var total int
	start := time.Now()
	for i := range frames {
		if moving {
			pattern.DrawBars(&src, 1920, 1080)
			pattern.Fill(&src, 100+40*i, 400, 160, 160, 0x336699)
		}
		pkt, err := e.Encode(&src, false)
		if err != nil {
			t.Fatal(err)
		}
		total += len(pkt.Data)
	}
	c.msPerFrame = float64(time.Since(start).Microseconds()) / 1000 / float64(frames)
	c.bytesPerFrame = float64(total) / float64(frames)
	return c
}

func TestBadConfig(t *testing.T) {
	for _, c := range []EncoderConfig{{Width: 0, Height: 10, FPS: 1}, {Width: 10, Height: 10, FPS: 0}, {Width: 10000, Height: 10, FPS: 1}, {Width: 10, Height: 10, FPS: 2, BitrateKbps: -1}} {
		if e, err := NewEncoder(c); err == nil {
			e.Close()
			t.Errorf("%+v: no error", c)
		}
	}
	d, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var f screen.Frame
	if err := d.Decode([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, &f); err == nil {
		t.Error("decoding garbage: no error")
	}
}

// FuzzDecode: whatever arrives (the live viewer decodes what the network
// brings) the decoder returns an error or a picture, never crashes.
func FuzzDecode(f *testing.F) {
	var src screen.Frame
	pattern.DrawBars(&src, 64, 48)
	e := newEncoder(f, EncoderConfig{Width: 64, Height: 48, FPS: 2})
	key, _ := e.Encode(&src, false)
	f.Add(append([]byte(nil), key.Data...))
	pattern.Fill(&src, 10, 10, 10, 10, 0x123456)
	delta, _ := e.Encode(&src, false)
	f.Add(append([]byte(nil), delta.Data...))
	f.Add([]byte{0x9d, 0x01, 0x2a})
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := NewDecoder()
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		var out screen.Frame
		if err := d.Decode(data, &out); err == nil && (out.Width < 1 || len(out.Pix) < out.Stride*out.Height) {
			t.Fatalf("decoded %dx%d with %d bytes", out.Width, out.Height, len(out.Pix))
		}
	})
}

// BenchmarkEncode1080p: ms and bytes per frame after the keyframe, for
// an unchanged screen and a box moving over it, at 1, 2 and 5 fps (the
// rate sets the bitrate target).
func BenchmarkEncode1080p(b *testing.B) {
	for _, fps := range []int{1, 2, 5} {
		for _, moving := range []bool{false, true} {
			b.Run(fmt.Sprintf("%dfps/%s", fps, map[bool]string{false: "static", true: "moving"}[moving]), func(b *testing.B) {
				var src screen.Frame
				pattern.DrawBars(&src, 1920, 1080)
				e := newEncoder(b, EncoderConfig{Width: 1920, Height: 1080, FPS: fps})
				e.Encode(&src, false)
				b.ReportAllocs()
				var bytes, i int
				cpu0 := cpuTime()
				for b.Loop() {
					if moving {
						pattern.Fill(&src, (i*40)%1700, 400, 160, 160, uint32(0x336699+i))
					}
					pkt, err := e.Encode(&src, false)
					if err != nil {
						b.Fatal(err)
					}
					bytes += len(pkt.Data)
					i++
				}
				b.ReportMetric(float64(bytes)/float64(b.N), "bytes/frame")
				b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
			})
		}
	}
}

// cpuTime is this process's CPU so far (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
