package screentest

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/openbpclient/bpclient/internal/testpeers"
)

// PatternVP8 encodes n frames of the quadrant pattern at w×h with ffmpeg's
// libvpx, a keyframe every gop frames (the first is one); the test is
// skipped (failed in CI) without ffmpeg.
func PatternVP8(t testing.TB, w, h, n, gop int) [][]byte {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		testpeers.Missing(t, "ffmpeg is not installed (scripts/deps.sh installs it)")
	}
	dir := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	at := Quadrants(w, h)
	for y := range h {
		for x := range w {
			img.Set(x, y, at(x, y))
		}
	}
	pngPath, ivfPath := filepath.Join(dir, "p.png"), filepath.Join(dir, "p.ivf")
	f, err := os.Create(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-loop", "1", "-framerate", "5", "-i", pngPath,
		"-frames:v", fmt.Sprint(n), "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-lag-in-frames", "0",
		"-g", fmt.Sprint(gop), "-b:v", "1M", "-f", "ivf", ivfPath).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	r, err := os.Open(ivfPath)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := ReadIVFHeader(r); err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	for {
		fr, _, err := ReadIVFFrame(r, nil)
		if err != nil {
			break
		}
		frames = append(frames, fr)
	}
	if len(frames) != n {
		t.Fatalf("ffmpeg made %d frames, want %d", len(frames), n)
	}
	return frames
}
