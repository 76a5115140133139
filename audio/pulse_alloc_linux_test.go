package audio

import (
	"io"
	"testing"
	"time"

	"github.com/jfreymuth/pulse/proto"
)

// blockedRW never yields a byte and swallows what is written: the
// library's client on it reads nothing and sends into the void.
type blockedRW struct{ stop chan struct{} }

func (b blockedRW) Read([]byte) (int, error)    { <-b.stop; return 0, io.EOF }
func (b blockedRW) Write(p []byte) (int, error) { return len(p), nil }

// pulseLoopback is a backend whose streams are real pulseStreams on a
// connection to nowhere: the test plays the server.
type pulseLoopback struct {
	fakeBackend
	conn    *pulseConn
	streams []*pulseStream
}

func (b *pulseLoopback) open(id string, input bool, rate, frames int, cb callback) (rawStream, error) {
	st := &pulseStream{c: b.conn, input: input, sr: rate, cb: cb, carry: -1, pcm: make([]int16, 4*frames), wire: make([]byte, 8*frames)}
	st.setDevice(pulseID("dev"))
	b.streams = append(b.streams, st)
	return st, nil
}

// The PulseAudio backend's per-frame paths allocate nothing: a captured
// packet through to ReadPCM, and WritePCM through to the bytes sent on a
// request (the demux's part: TestPulseDemuxNoAllocationPerFrame).
func TestPulseStreamNoAllocationPerFrame(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	c := &pulseConn{kick: make(chan struct{}, 1), playback: map[uint32]*pulseStream{}, record: map[uint32]*pulseStream{}}
	c.c = &proto.Client{Callback: func(any) {}}
	c.c.Open(blockedRW{stop})
	be := &pulseLoopback{fakeBackend: *newFake(), conn: c}
	sys := newSystem(be)
	sys.stallLimit, sys.firstIOLimit = time.Hour, time.Hour
	defer sys.Close()
	capture, err := sys.OpenCapture("", f8k20, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	play, err := sys.OpenPlayback("", f8k20, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec, pb := be.streams[0], be.streams[1]
	packet := make([]byte, 320)
	frame := make([]int16, 160)
	capAllocs := testing.AllocsPerRun(200, func() {
		rec.captured(packet)
		capture.ReadPCM(frame)
	})
	playAllocs := testing.AllocsPerRun(200, func() {
		play.WritePCM(frame)
		pb.fill(320)
	})
	// A call's media queues the speaker's frames without waiting.
	queueAllocs := testing.AllocsPerRun(200, func() {
		play.QueuePCM(frame)
		pb.fill(320)
	})
	if capAllocs != 0 || playAllocs != 0 || queueAllocs != 0 {
		t.Fatalf("allocations per frame: capture %v, playback %v, playback queued without waiting %v", capAllocs, playAllocs, queueAllocs)
	}
	if st := capture.Stats(); st.Frames < 200 {
		t.Errorf("capture handed over %d frames", st.Frames)
	}
}
