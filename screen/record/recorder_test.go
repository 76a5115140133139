package record

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// TestSegmentsRollOverWithAKeyframeEach: 20 s at 2 fps with segments of
// 10 s are two segments of 20 frames, each starting with a keyframe and
// its pts from 0.
func TestSegmentsRollOverWithAKeyframeEach(t *testing.T) {
	r := newRig(t, Config{RecordingID: "r1", SegmentSeconds: 10}, 64, 48, false)
	if err := r.rec.Start(); err != nil {
		t.Fatal(err)
	}
	r.tick(40)
	if err := r.rec.Stop(""); err != nil {
		t.Fatal(err)
	}
	order, segs := r.sink.segments()
	if !reflect.DeepEqual(order, []int{1, 2}) {
		t.Fatalf("segments %v, want [1 2]", order)
	}
	for _, n := range order {
		frames := segs[n]
		if len(frames) != 20 {
			t.Errorf("segment %d: %d frames, want 20", n, len(frames))
		}
		for i, f := range frames {
			if f.Key != (i == 0) {
				t.Errorf("segment %d frame %d: key %v", n, i, f.Key)
			}
			if f.PTS != time.Duration(i)*500*time.Millisecond {
				t.Errorf("segment %d frame %d: pts %v", n, i, f.PTS)
			}
		}
	}
	if !r.sink.ended {
		t.Error("the sink did not hear the end")
	}
	if st, reason := r.rec.State(); st != Stopped || reason != ReasonStopped {
		t.Errorf("state %s %s", st, reason)
	}
	if got := r.rec.Stats(); got.Frames != 40 || got.Segments != 2 {
		t.Errorf("stats %+v", got)
	}
}

// TestPauseGrabsAndKeepsNothing (PCI): during a pause no frame is
// grabbed, and no segment holds a frame of the paused time or its
// colour; the pause closes the segment and resume starts one with a key.
func TestPauseGrabsAndKeepsNothing(t *testing.T) {
	r := newRig(t, Config{RecordingID: "pci", SegmentSeconds: 10}, 64, 48, false)
	r.screen.set(0, 0, 255)
	if err := r.rec.Start(); err != nil {
		t.Fatal(err)
	}
	r.tick(6)
	if err := r.rec.Pause(); err != nil {
		t.Fatal(err)
	}
	pausedAt := r.clock.Now()
	before := r.screen.grabCount()
	r.screen.set(255, 0, 0) // the card number on the screen
	r.tick(10)
	if n := r.screen.grabCount() - before; n != 0 {
		t.Fatalf("%d frames grabbed during the pause", n)
	}
	r.screen.set(0, 255, 0)
	resumedAt := r.clock.Now()
	if err := r.rec.Resume(); err != nil {
		t.Fatal(err)
	}
	r.tick(6)
	if err := r.rec.Stop(""); err != nil {
		t.Fatal(err)
	}
	order, segs := r.sink.segments()
	if !reflect.DeepEqual(order, []int{1, 2}) {
		t.Fatalf("segments %v, want [1 2]: the pause closes the first", order)
	}
	for _, n := range order {
		for i, f := range segs[n] {
			if f.Time.After(pausedAt) && f.Time.Before(resumedAt) || f.R == 255 {
				t.Errorf("segment %d frame %d: %v, colour %d,%d,%d: of the pause", n, i, f.Time, f.R, f.G, f.B)
			}
			if f.Key != (i == 0) {
				t.Errorf("segment %d frame %d: key %v", n, i, f.Key)
			}
		}
	}
	if len(segs[1]) != 6 || len(segs[2]) != 6 || segs[2][0].G != 255 {
		t.Errorf("segments of %d and %d frames", len(segs[1]), len(segs[2]))
	}
	want := []string{"recording/started", "paused/paused", "recording/resumed", "stopped/stopped"}
	if got := r.stateLog(); !reflect.DeepEqual(got, want) {
		t.Errorf("states %v, want %v", got, want)
	}
}

// TestWrongStates: pause before start, resume while recording, stop
// twice are refused and change nothing.
func TestWrongStates(t *testing.T) {
	r := newRig(t, Config{RecordingID: "w"}, 64, 48, false)
	for name, f := range map[string]func() error{"pause": r.rec.Pause, "resume": r.rec.Resume, "stop": func() error { return r.rec.Stop("") }} {
		if err := f(); !errors.Is(err, ErrWrongState) {
			t.Errorf("%s while idle: %v", name, err)
		}
	}
	if err := r.rec.Start(); err != nil {
		t.Fatal(err)
	}
	if err := r.rec.Start(); !errors.Is(err, ErrWrongState) {
		t.Errorf("second start: %v", err)
	}
	if err := r.rec.Resume(); !errors.Is(err, ErrWrongState) {
		t.Errorf("resume while recording: %v", err)
	}
	if err := r.rec.Stop(""); err != nil {
		t.Fatal(err)
	}
	if err := r.rec.Stop(""); !errors.Is(err, ErrWrongState) {
		t.Errorf("second stop: %v", err)
	}
	if got := r.stateLog(); len(got) != 2 {
		t.Errorf("states %v", got)
	}
}

// TestScalesToMaxWidth: a screen wider than maxWidth is encoded at
// maxWidth, the aspect kept, even sizes.
func TestScalesToMaxWidth(t *testing.T) {
	r := newRig(t, Config{RecordingID: "s", MaxWidth: 320}, 640, 360, true)
	if err := r.rec.Start(); err != nil {
		t.Fatal(err)
	}
	r.tick(2)
	r.screen.mu.Lock()
	r.screen.width, r.screen.height = 400, 300 // another monitor's shape
	r.screen.mu.Unlock()
	r.tick(2)
	if err := r.rec.Stop(""); err != nil {
		t.Fatal(err)
	}
	if order, _ := r.sink.segments(); len(order) != 2 {
		t.Errorf("segments %v: a change of size starts a segment", order)
	}
	if want := [][2]int{{320, 180}, {320, 240}}; !reflect.DeepEqual(r.encSize, want) {
		t.Errorf("encoders %v, want %v", r.encSize, want)
	}
	for in, want := range map[[3]int][2]int{{1920, 1080, 1920}: {1920, 1080}, {3840, 2160, 1920}: {1920, 1080},
		{1366, 768, 1920}: {1366, 768}, {1365, 767, 1920}: {1364, 766}, {5120, 1440, 1920}: {1920, 540}, {1, 1, 1920}: {2, 2}} {
		if w, h := OutputSize(in[0], in[1], in[2]); [2]int{w, h} != want {
			t.Errorf("OutputSize%v = %dx%d, want %v", in, w, h, want)
		}
	}
}

// TestGrabFailuresStopTheRecording: a capture that keeps failing ends
// the recording with capture-failed, what was recorded spooled.
func TestGrabFailuresStopTheRecording(t *testing.T) {
	r := newRig(t, Config{RecordingID: "f"}, 64, 48, false)
	if err := r.rec.Start(); err != nil {
		t.Fatal(err)
	}
	r.tick(3)
	r.screen.mu.Lock()
	r.screen.fail = errors.New("display gone")
	r.screen.mu.Unlock()
	r.tick(maxGrabFailures)
	r.rec.Wait()
	if st, reason := r.rec.State(); st != Stopped || reason != ReasonCaptureFailed {
		t.Errorf("state %s/%s", st, reason)
	}
	if order, segs := r.sink.segments(); len(order) != 1 || len(segs[1]) != 3 {
		t.Errorf("segments %v", order)
	}
}

// TestConfigBounds: fps outside 1–10 is refused; defaults apply.
func TestConfigBounds(t *testing.T) {
	r := newRig(t, Config{RecordingID: "b"}, 64, 48, false)
	for _, fps := range []int{-1, 11, 100} {
		if _, err := New(Options{Config: Config{RecordingID: "b", FPS: fps}, Feed: r.feed, Sink: r.sink, Parts: r.rec.o.Parts}); err == nil {
			t.Errorf("fps %d accepted", fps)
		}
	}
	if c := r.rec.o.Config; c.FPS != 2 || c.MaxWidth != 1920 || c.SegmentSeconds != 10 {
		t.Errorf("defaults %+v", c)
	}
}
