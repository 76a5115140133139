//go:build linux

package screentest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	"github.com/openbpclient/bpclient/screen/live"
)

// FFmpegSource is a live.Source over ffmpeg: x11grab of an X display
// (the pointer drawn) encoded by libvpx in realtime mode, read back as
// IVF from its stdout. Every frame is a keyframe (-g 1), because ffmpeg
// cannot be asked for one on demand and the tests' decoder
// (KeyframeDecoder) decodes keyframes only; keyframe requests are counted.
// It stands in for screen/capture + screen/vp8 until they are in this
// build.
type FFmpegSource struct {
	Display       string
	Width, Height int // the display's size

	mu    sync.Mutex
	stats SourceStats
}

// SourceStats count what an FFmpegSource did.
type SourceStats struct {
	KeyframeRequests, Frames int
	Bytes                    int64 // of VP8 sent
	PID                      int   // of the running ffmpeg; 0 when none runs
}

// Stats are the counts so far.
func (s *FFmpegSource) Stats() SourceStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Stream implements live.Source.
func (s *FFmpegSource) Stream(ctx context.Context, p live.StreamParams, keyframe <-chan struct{}, send func([]byte, bool) error) error {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return errors.New("ffmpeg is not installed (scripts/deps.sh installs it)")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := min(s.Width, p.MaxWidth)
	args := []string{"-hide_banner", "-loglevel", "error", "-f", "x11grab", "-framerate", strconv.Itoa(p.FPS),
		"-video_size", fmt.Sprintf("%dx%d", s.Width, s.Height), "-i", s.Display,
		"-vf", fmt.Sprintf("scale=%d:-2", w), "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8",
		"-lag-in-frames", "0", "-g", "1", "-b:v", "2M", "-f", "ivf", "-flush_packets", "1", "pipe:1"}
	cmd := exec.CommandContext(ctx, "ffmpeg", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start ffmpeg: %w", err)
	}
	s.mu.Lock()
	s.stats.PID = cmd.Process.Pid
	s.mu.Unlock()
	defer func() {
		cancel()
		_ = cmd.Wait()
		s.mu.Lock()
		s.stats.PID = 0
		s.mu.Unlock()
	}()
	done := make(chan struct{})
	defer close(done)
	go func() { // counts the requests; every frame is a keyframe anyway
		for {
			select {
			case <-keyframe:
				s.mu.Lock()
				s.stats.KeyframeRequests++
				s.mu.Unlock()
			case <-done:
				return
			}
		}
	}()
	r := bufio.NewReaderSize(out, 1<<20)
	if _, err := ReadIVFHeader(r); err != nil {
		return fmt.Errorf("ffmpeg x11grab: %w: %s", err, stderr.String())
	}
	var buf []byte
	for {
		frame, _, err := ReadIVFFrame(r, buf)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("ffmpeg x11grab: %w: %s", err, stderr.String())
		}
		buf = frame
		s.mu.Lock()
		s.stats.Frames++
		s.stats.Bytes += int64(len(frame))
		s.mu.Unlock()
		if err := send(frame, frame[0]&0x01 == 0); err != nil {
			return err
		}
	}
}
