//go:build vpx && cgo

package capture

import (
	"bytes"
	"os/exec"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/desktoptest"
	"github.com/openbpclient/bpclient/internal/testpeers"
	"github.com/openbpclient/bpclient/screen"
	"github.com/openbpclient/bpclient/screen/internal/pattern"
	"github.com/openbpclient/bpclient/screen/vp8"
	"github.com/openbpclient/bpclient/screen/webm"
)

// The whole chain on real parts: a painted 1080p Xvfb grabbed, scaled to
// 1280×720 and encoded, muxed into a WebM segment, and decoded by ffmpeg,
// whose frames show the bars and a box where it was painted at each grab.
func TestGrabEncodeMuxDecodes(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		testpeers.Missing(t, "ffmpeg is not installed (scripts/deps.sh installs it)")
		return
	}
	p := desktoptest.StartPainted(t, 1920, 1080)
	if p == nil {
		return
	}
	p.MovePointer(1900, 1060) // out of the way of the checked pixels
	c, err := Open(Options{Display: p.Display})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w, h := vp8.OutputSize(1920, 1080, 1280)
	enc, err := vp8.NewEncoder(vp8.EncoderConfig{Width: w, Height: h, FPS: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	var out bytes.Buffer
	seg, err := webm.NewSegmentWriter(&out, w, h)
	if err != nil {
		t.Fatal(err)
	}
	const frames = 4
	var f screen.Frame
	var spent time.Duration
	for i := range frames {
		p.Fill(barBoxes()...)
		p.Fill(desktoptest.Box{X: 150 + 300*i, Y: 600, W: 150, H: 150, RGB: 0x3399cc})
		start := time.Now()
		if err := c.Grab(&f); err != nil {
			t.Fatal(err)
		}
		pkt, err := enc.Encode(&f, i == 0)
		if err != nil {
			t.Fatal(err)
		}
		spent += time.Since(start)
		if err := seg.WriteFrame(pkt.Data, pkt.Key, time.Duration(i)*500*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	if err := seg.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("grab + encode 1080p → %dx%d: %v a frame (under the machine's current load)", w, h, spent/frames)
	cmd := exec.Command("ffmpeg", "-v", "error", "-i", "-", "-f", "rawvideo", "-pix_fmt", "bgr0", "-")
	cmd.Stdin = &out
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	size := w * h * 4
	if len(raw) != frames*size {
		t.Fatalf("ffmpeg decoded %d bytes, want %d frames of %dx%d", len(raw), frames, w, h)
	}
	for i := range frames {
		got := &screen.Frame{Width: w, Height: h, Stride: w * 4, Pix: raw[i*size : (i+1)*size]}
		for b, col := range pattern.Bars {
			if x := pattern.BarCentre(b, w); !pattern.Near(got, x, 100, col, 16) {
				r, g, bl := got.At(x, 100)
				t.Errorf("frame %d: bar %d at %d,100 is %02x%02x%02x, want %06x", i, b, x, r, g, bl, col)
			}
		}
		// The box, 150 px at 1080p, is 100 px at 720p: its centre.
		if x := (150+300*i)*2/3 + 50; !pattern.Near(got, x, 450, 0x3399cc, 16) {
			r, g, bl := got.At(x, 450)
			t.Errorf("frame %d: box centre %d,450 is %02x%02x%02x, want 3399cc", i, x, r, g, bl)
		}
	}
}
