package live_test

import (
	"context"
	"errors"
	"image/color"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/screentest"
	"github.com/openbpclient/bpclient/screen"
	"github.com/openbpclient/bpclient/screen/live"
)

// pair is a Sender and a Viewer whose signalling the test relays, as the
// two pages would.
type pair struct {
	s      *live.Sender
	v      *live.Viewer
	frames chan screen.Frame
	states chan string
}

func newPair(t *testing.T, dec live.Decoder) *pair {
	t.Helper()
	p := &pair{frames: make(chan screen.Frame, 64), states: make(chan string, 16)}
	toViewer, toSender := make(chan string, 64), make(chan string, 64)
	var err error
	p.s, err = live.NewSender(live.SenderOptions{
		OnCandidate: func(c string) { toViewer <- c },
		OnState:     func(st live.State, reason string) { p.states <- "sender " + string(st) + " " + reason },
	})
	if err != nil {
		t.Fatal(err)
	}
	p.v, err = live.NewViewer(live.ViewerOptions{
		Decoder:     dec,
		OnCandidate: func(c string) { toSender <- c },
		OnState:     func(st live.State, reason string) { p.states <- "viewer " + string(st) + " " + reason },
		OnFrame: func(f *screen.Frame) {
			cp := *f
			cp.Pix = append([]byte(nil), f.Pix...)
			select {
			case p.frames <- cp:
			default:
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	relay := func(from chan string, add func(string) error) {
		defer wg.Done()
		for {
			select {
			case c := <-from:
				if err := add(c); err != nil {
					t.Errorf("add candidate %q: %v", c, err)
				}
			case <-ctx.Done():
				return
			}
		}
	}
	wg.Add(2)
	go relay(toViewer, p.v.AddCandidate)
	go relay(toSender, p.s.AddCandidate)
	t.Cleanup(func() {
		p.s.Close()
		p.v.Close()
		cancel()
		wg.Wait()
	})
	offer, err := p.s.Offer()
	if err != nil {
		t.Fatal(err)
	}
	answer, err := p.v.Accept(offer)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.s.Answer(answer); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *pair) awaitLive(t *testing.T) {
	t.Helper()
	seen := map[string]bool{}
	deadline := time.After(15 * time.Second)
	for !seen["sender live "] || !seen["viewer live "] {
		select {
		case s := <-p.states:
			seen[s] = true
		case <-deadline:
			t.Fatalf("not live within 15 s; states %v", seen)
		}
	}
}

// sendUntil sends frames at 5 fps, round and round, until done says so.
func (p *pair) sendUntil(t *testing.T, frames [][]byte, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for i := 0; !done(); i++ {
		if time.Now().After(deadline) {
			t.Fatal("no decoded frame within 15 s")
		}
		if err := p.s.WriteFrame(frames[i%len(frames)], 200*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func near(a, b uint8) bool { return int(a)-int(b) < 40 && int(b)-int(a) < 40 }

// checkQuadrants fails unless f shows the pattern at each quarter's centre.
func checkQuadrants(t *testing.T, f *screen.Frame) {
	t.Helper()
	w, h := f.Width, f.Height
	for _, c := range []struct {
		x, y int
		want color.RGBA
	}{{w / 4, h / 4, screentest.Red}, {3 * w / 4, h / 4, screentest.Green}, {w / 4, 3 * h / 4, screentest.Blue}, {3 * w / 4, 3 * h / 4, screentest.White}} {
		r, g, b := f.At(c.x, c.y)
		if !near(r, c.want.R) || !near(g, c.want.G) || !near(b, c.want.B) {
			t.Errorf("pixel %d,%d of %dx%d is %d,%d,%d, want %v", c.x, c.y, w, h, r, g, b, c.want)
		}
	}
}

// TestViewerDecodesThePattern: the Sender's VP8 frames reach the Viewer
// over DTLS-SRTP on loopback, put back together and decoded, with the
// pattern's colours where they belong.
func TestViewerDecodesThePattern(t *testing.T) {
	frames := screentest.PatternVP8(t, 640, 360, 5, 1)
	p := newPair(t, screentest.NewKeyframeDecoder())
	p.awaitLive(t)
	var got screen.Frame
	p.sendUntil(t, frames, func() bool {
		select {
		case got = <-p.frames:
			return true
		default:
			return false
		}
	})
	if got.Width != 640 || got.Height != 360 {
		t.Fatalf("decoded %dx%d, want 640x360", got.Width, got.Height)
	}
	checkQuadrants(t, &got)
	if st := p.v.Stats(); st.Bytes == 0 || st.Frames == 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestViewerAsksForAKeyframe: a viewer that gets inter frames first (it
// joined mid-stream) sends a PLI, and the Sender passes it on.
func TestViewerAsksForAKeyframe(t *testing.T) {
	frames := screentest.PatternVP8(t, 320, 180, 6, 100) // one keyframe, five inter frames
	p := newPair(t, screentest.NewKeyframeDecoder())
	p.awaitLive(t)
	select { // the request every new stream starts with
	case <-p.s.KeyframeRequests():
	case <-time.After(5 * time.Second):
		t.Fatal("no keyframe request when the stream went live")
	}
	inter := frames[1:]
	asked := false
	p.sendUntil(t, inter, func() bool {
		select {
		case <-p.s.KeyframeRequests():
			asked = true
		default:
		}
		return asked
	})
	if n := p.v.Stats().KeyframeRequests; n == 0 {
		t.Fatalf("the viewer sent no PLI")
	}
	p.sendUntil(t, frames[:1], func() bool {
		select {
		case f := <-p.frames:
			checkQuadrants(t, &f)
			return true
		default:
			return false
		}
	})
}

// TestSignallingOutOfOrder: an answer before the offer, a second offer, a
// second answer and SDP that is not SDP are refused with errors callers
// can tell apart.
func TestSignallingOutOfOrder(t *testing.T) {
	s, err := live.NewSender(live.SenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Answer("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"); !errors.Is(err, live.ErrWrongState) {
		t.Errorf("answer before offer: %v, want ErrWrongState", err)
	}
	offer, err := s.Offer()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Offer(); !errors.Is(err, live.ErrWrongState) {
		t.Errorf("second offer: %v, want ErrWrongState", err)
	}
	for _, bad := range []string{"", "hello", "v=0\r\ns=-\r\n", "v=0\r\nm=video 9 bogus\r\n" + string(make([]byte, 70000))} {
		if err := s.Answer(bad); !errors.Is(err, live.ErrBadSDP) {
			t.Errorf("answer %.20q: %v, want ErrBadSDP", bad, err)
		}
	}
	v, err := live.NewViewer(live.ViewerOptions{Decoder: screentest.NewKeyframeDecoder()})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Accept("v=0\r\nm=audio 9 RTP/AVP 0\r\n"); !errors.Is(err, live.ErrBadSDP) {
		t.Errorf("an offer without video: %v, want ErrBadSDP", err)
	}
	answer, err := v.Accept(offer)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Answer(answer); err != nil {
		t.Fatal(err)
	}
	if err := s.Answer(answer); !errors.Is(err, live.ErrWrongState) {
		t.Errorf("second answer: %v, want ErrWrongState", err)
	}
	if err := s.AddCandidate("candidate:garbage"); !errors.Is(err, live.ErrBadCandidate) {
		t.Errorf("bad candidate: %v, want ErrBadCandidate", err)
	}
}
