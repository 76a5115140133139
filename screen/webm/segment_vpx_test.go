//go:build vpx && cgo

package webm

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/testpeers"
	"github.com/openbpclient/bpclient/screen"
	"github.com/openbpclient/bpclient/screen/internal/pattern"
	"github.com/openbpclient/bpclient/screen/vp8"
)

const (
	width, height = 1280, 720
	fps           = 2
	perSegment    = 6 // frames: 3 s at 2 fps
	boxRGB        = 0x3399cc
)

// boxX is where frame i (counted over the whole recording) has its box.
func boxX(i int) int { return 80 + 60*i }

// Two segments from one encoder (the second starting with a forced
// keyframe, times from its own start) each decode alone with ffmpeg:
// frame count, size, times, keyframe first, and the bars and the moving
// box where they were drawn. Our own Decoder reads the same frames.
func TestSegmentsDecodeAloneWithFFmpeg(t *testing.T) {
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			testpeers.Missing(t, tool+" is not installed (scripts/deps.sh installs ffmpeg)")
			return
		}
	}
	dir := t.TempDir()
	enc, err := vp8.NewEncoder(vp8.EncoderConfig{Width: width, Height: height, FPS: fps})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	dec, err := vp8.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var src, ours screen.Frame
	frame := 0
	for seg := range 2 {
		path := filepath.Join(dir, fmt.Sprintf("seg%d.webm", seg))
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w, err := NewSegmentWriter(f, width, height)
		if err != nil {
			t.Fatal(err)
		}
		for i := range perSegment {
			pattern.DrawBars(&src, 1920, 1080) // scaled down by the encoder
			pattern.Fill(&src, boxX(frame)*3/2, 600, 120, 120, boxRGB)
			pkt, err := enc.Encode(&src, i == 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.WriteFrame(pkt.Data, pkt.Key, time.Duration(i)*time.Second/fps); err != nil {
				t.Fatal(err)
			}
			if err := dec.Decode(pkt.Data, &ours); err != nil {
				t.Fatal(err)
			}
			checkPicture(t, fmt.Sprintf("our decoder, segment %d frame %d", seg, i), &ours, frame)
			frame++
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		checkWithFFmpeg(t, path, seg)
	}
}

func checkPicture(t *testing.T, what string, f *screen.Frame, frame int) {
	t.Helper()
	for i, c := range pattern.Bars {
		if x := pattern.BarCentre(i, width); !pattern.Near(f, x, 100, c, 16) {
			r, g, b := f.At(x, 100)
			t.Errorf("%s: bar %d at %d,100 is %02x%02x%02x, want %06x", what, i, x, r, g, b, c)
		}
	}
	// The box (80×80 at 1280×720) at its place in this frame: its centre
	// has its colour, and where it was a frame earlier the bars are back.
	bx := boxX(frame) + 40
	if !pattern.Near(f, bx, 440, boxRGB, 16) {
		r, g, b := f.At(bx, 440)
		t.Errorf("%s: box centre %d,440 is %02x%02x%02x, want %06x", what, bx, r, g, b, boxRGB)
	}
	if frame > 0 {
		if old := boxX(frame-1) + 10; pattern.Near(f, old, 440, boxRGB, 16) {
			t.Errorf("%s: the box of the frame before is still at %d,440", what, old)
		}
	}
}

type probe struct {
	Streams []struct {
		CodecName string `json:"codec_name"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
	} `json:"streams"`
	Packets []struct {
		PTSTime string `json:"pts_time"`
		Flags   string `json:"flags"`
	} `json:"packets"`
}

func checkWithFFmpeg(t *testing.T, path string, seg int) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
		"stream=codec_name,width,height:packet=pts_time,flags", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe segment %d: %v", seg, err)
	}
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("ffprobe segment %d: %v: %s", seg, err, out)
	}
	if len(p.Streams) != 1 || p.Streams[0].CodecName != "vp8" || p.Streams[0].Width != width || p.Streams[0].Height != height {
		t.Errorf("segment %d: streams %+v, want one vp8 %dx%d", seg, p.Streams, width, height)
	}
	if len(p.Packets) != perSegment {
		t.Fatalf("segment %d: %d packets, want %d", seg, len(p.Packets), perSegment)
	}
	for i, pk := range p.Packets {
		if want := fmt.Sprintf("%.6f", float64(i)/fps); pk.PTSTime != want {
			t.Errorf("segment %d packet %d: pts %s, want %s", seg, i, pk.PTSTime, want)
		}
		if key := pk.Flags != "" && pk.Flags[0] == 'K'; key != (i == 0) {
			t.Errorf("segment %d packet %d: flags %q, want a keyframe first and only first", seg, i, pk.Flags)
		}
	}
	raw, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "bgr0", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg decode segment %d: %v", seg, err)
	}
	size := width * height * 4
	if len(raw) != perSegment*size {
		t.Fatalf("ffmpeg decoded segment %d to %d bytes, want %d frames of %d", seg, len(raw), perSegment, size)
	}
	for i := range perSegment {
		f := &screen.Frame{Width: width, Height: height, Stride: width * 4, Pix: raw[i*size : (i+1)*size]}
		checkPicture(t, fmt.Sprintf("ffmpeg, segment %d frame %d", seg, i), f, seg*perSegment+i)
	}
}
