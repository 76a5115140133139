package audio

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// fakeBackend hands out streams whose callbacks the test drives.
type fakeBackend struct {
	mu      sync.Mutex
	list    DeviceList
	rates   map[string]int // device rate when it differs from the asked one
	streams []*fakeStream
	fail    map[string]bool
}

type fakeStream struct {
	id, sr  int
	name    string
	cb      callback
	aborted chan struct{}
	once    sync.Once
	onAbort func() // if set, runs in abort before aborted closes
}

func (f *fakeStream) rate() int        { return f.sr }
func (f *fakeStream) deviceID() string { return f.name }
func (f *fakeStream) abort() error {
	f.once.Do(func() {
		if f.onAbort != nil {
			f.onAbort()
		}
		close(f.aborted)
	})
	return nil
}

func newFake() *fakeBackend {
	dev := func(id string, def bool) Device {
		return Device{ID: id, Name: id, HostAPI: "fake", Channels: 1, Default: def}
	}
	return &fakeBackend{
		list: DeviceList{
			Inputs:  []Device{dev("mic", true), dev("headset", false)},
			Outputs: []Device{dev("spk", true), dev("headset", false)},
		},
		rates: map[string]int{},
		fail:  map[string]bool{},
	}
}

func (b *fakeBackend) devices() (DeviceList, error) { return b.list, nil }
func (b *fakeBackend) reload() error                { return nil }
func (b *fakeBackend) close() error                 { return nil }
func (b *fakeBackend) open(id string, input bool, rate, frames int, cb callback) (rawStream, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if id == "" {
		d, _ := b.list.DefaultDevice(input)
		id = d.ID
	}
	if b.fail[id] {
		return nil, fmt.Errorf("%w: %s", ErrNoDevice, id)
	}
	sr := rate
	if r := b.rates[id]; r != 0 {
		sr = r
	}
	s := &fakeStream{id: len(b.streams), sr: sr, name: id, cb: cb, aborted: make(chan struct{})}
	b.streams = append(b.streams, s)
	return s, nil
}

func (b *fakeBackend) last() *fakeStream {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.streams[len(b.streams)-1]
}

func fakeSystem(t testing.TB) (*System, *fakeBackend) {
	fb := newFake()
	s := newSystem(fb)
	s.stallCheck, s.stallLimit, s.firstIOLimit = 5*time.Millisecond, 60*time.Millisecond, 60*time.Millisecond
	s.retry = 5 * time.Millisecond
	t.Cleanup(func() { s.Close() })
	return s, fb
}

func TestFIFO(t *testing.T) {
	f := newFIFO(5)
	if n := f.write([]int16{1, 2, 3}); n != 3 {
		t.Fatal(n)
	}
	out := make([]int16, 2)
	f.read(out)
	if n := f.write([]int16{4, 5, 6, 7, 8}); n != 4 {
		t.Fatalf("wrote %d into 4 free", n)
	}
	all := make([]int16, 10)
	n := f.read(all)
	if fmt.Sprint(all[:n]) != "[3 4 5 6 7]" {
		t.Fatal(all[:n])
	}
	f.write([]int16{1, 2, 3})
	f.discard(2)
	if n := f.read(all); n != 1 || all[0] != 3 {
		t.Fatal(all[:n])
	}
}

func TestFormatCheck(t *testing.T) {
	for _, f := range []Format{{8000, 20 * time.Millisecond}, {16000, 10 * time.Millisecond}, {48000, 30 * time.Millisecond}} {
		if err := f.check(); err != nil {
			t.Errorf("%v: %v", f, err)
		}
	}
	for _, f := range []Format{{0, 20 * time.Millisecond}, {8000, 0}, {44100, 13*time.Millisecond + 1}} {
		if err := f.check(); err == nil {
			t.Errorf("%v accepted", f)
		}
	}
}

func TestCaptureDropsOldestAndCounts(t *testing.T) {
	sys, fb := fakeSystem(t)
	c, err := sys.OpenCapture("", f8k20, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fs := fb.last()
	buf := make([]int16, 160)
	for i := range 5 { // frames 0..4 while nobody reads
		for j := range buf {
			buf[j] = int16(i)
		}
		fs.cb(buf)
	}
	got := make([]int16, 160)
	for _, want := range []int16{3, 4} {
		if _, err := c.ReadPCM(got); err != nil || got[0] != want || got[159] != want {
			t.Fatalf("read frame %d: %v (err %v)", want, got[0], err)
		}
	}
	if st := c.Stats(); st.Overruns != 3 || st.Frames != 2 {
		t.Fatalf("stats %+v, want 3 overruns, 2 frames", st)
	}
}

func TestPlaybackUnderrunPlaysSilence(t *testing.T) {
	sys, fb := fakeSystem(t)
	p, err := sys.OpenPlayback("", f8k20, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fs := fb.last()
	out := make([]int16, 160)
	for i := range out {
		out[i] = 99 // garbage the stream must overwrite
	}
	fs.cb(out)
	for _, v := range out {
		if v != 0 {
			t.Fatal("played garbage before the first write")
		}
	}
	frame := make([]int16, 160)
	for i := range frame {
		frame[i] = 7
	}
	p.WritePCM(frame)
	fs.cb(out)
	if out[0] != 7 || out[159] != 7 {
		t.Fatal("did not play the frame")
	}
	fs.cb(out)
	if out[0] != 0 || out[159] != 0 {
		t.Fatal("an underrun played something else than silence")
	}
	if st := p.Stats(); st.Underruns != 1 || st.Frames != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestPlaybackResamples(t *testing.T) {
	sys, fb := fakeSystem(t)
	fb.rates["spk"] = 48000
	p, err := sys.OpenPlayback("", f8k20, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fs := fb.last()
	if p.Stats().DeviceRate != 48000 {
		t.Fatalf("%+v", p.Stats())
	}
	var ph float64
	go func() {
		for range 50 {
			if _, err := p.WritePCM(sine(1000, 8000, 160, 0.5, &ph)); err != nil {
				return
			}
		}
	}()
	var got []int16
	out := make([]int16, 960)
	for range 40 {
		time.Sleep(time.Millisecond)
		fs.cb(out)
		got = append(got, out...)
	}
	checkToneT(t, "48 kHz device", loud(got[960*10:], 960), 48000, 1000)
}

func TestStallMovesToDefault(t *testing.T) {
	sys, fb := fakeSystem(t)
	moved := make(chan Move, 1)
	p, err := sys.OpenPlayback("headset", f8k20, StreamOptions{Name: "call", OnMove: func(m Move) { moved <- m }})
	if err != nil {
		t.Fatal(err)
	}
	hs := fb.last()
	out := make([]int16, 160)
	for range 20 { // runs steadily, then the device goes quiet
		hs.cb(out)
	}
	t0 := time.Now()
	if m := recv(t, moved, "no move"); m.From != "headset" || m.To != "spk" || m.Reason != ReasonStalled || m.Stream != "call" {
		t.Fatalf("move %+v", m)
	}
	t.Logf("moved after %v", time.Since(t0))
	recv(t, hs.aborted, "the old device was not released")
	if st := p.Stats(); st.Device != "spk" || st.Moves != 1 {
		t.Fatalf("%+v", st)
	}
	// The stream goes on: a write reaches the new device.
	go p.WritePCM(make([]int16, 160))
	fb.last().cb(out)
}

func TestRemovedDeviceMoves(t *testing.T) {
	sys, fb := fakeSystem(t)
	sys.stallLimit, sys.firstIOLimit = time.Hour, time.Hour
	moved := make(chan Move, 1)
	c, err := sys.OpenCapture("headset", f8k20, StreamOptions{OnMove: func(m Move) { moved <- m }})
	if err != nil {
		t.Fatal(err)
	}
	l := fb.list
	sys.DevicesChanged(l) // still there: nothing happens
	l.Inputs = l.Inputs[:1]
	sys.DevicesChanged(l)
	if m := recv(t, moved, "no move"); m.Reason != ReasonRemoved || m.To != "mic" {
		t.Fatalf("%+v", m)
	}
	fb.last().cb(make([]int16, 160))
	if _, err := c.ReadPCM(make([]int16, 160)); err != nil {
		t.Fatal(err)
	}
}

func TestMoveRetriesUntilDefaultOpens(t *testing.T) {
	sys, fb := fakeSystem(t)
	fb.fail["spk"] = true
	moved := make(chan Move, 1)
	_, err := sys.OpenPlayback("headset", f8k20, StreamOptions{OnMove: func(m Move) { moved <- m }})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	fb.mu.Lock()
	fb.fail["spk"] = false
	fb.mu.Unlock()
	recv(t, moved, "no move once the default opened")
}

func TestCloseUnblocksAndLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	sys, _ := fakeSystem(t)
	c, _ := sys.OpenCapture("", f8k20, StreamOptions{})
	p, _ := sys.OpenPlayback("", f8k20, StreamOptions{})
	errs := make(chan error, 2)
	go func() { _, err := c.ReadPCM(make([]int16, 160)); errs <- err }()
	go func() { _, err := p.WritePCM(make([]int16, 1600)); errs <- err }()
	time.Sleep(20 * time.Millisecond)
	sys.Close()
	for range 2 {
		if err := recv(t, errs, "Close left a reader or writer blocked"); err != ErrClosed {
			t.Fatalf("err %v, want ErrClosed", err)
		}
	}
	deadline := time.Now().Add(hangGuard)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("hang guard (%v): %d goroutines left, %d before", hangGuard, n, before)
	}
}

func TestRingerStopsAllAtOnce(t *testing.T) {
	sys, fb := fakeSystem(t)
	sys.stallLimit, sys.firstIOLimit = time.Hour, time.Hour
	r := NewRinger(sys)
	var ph float64
	opened, err := r.Start([]string{"spk", "headset"}, sine(1000, 8000, 8000, 0.5, &ph), 8000, true)
	if err != nil || len(opened) != 2 {
		t.Fatalf("%v %v", opened, err)
	}
	fb.mu.Lock()
	streams := append([]*fakeStream(nil), fb.streams...)
	fb.mu.Unlock()
	out := make([]int16, 80)
	for _, s := range streams {
		time.Sleep(5 * time.Millisecond)
		s.cb(out)
		if out[10] == 0 {
			t.Fatalf("%s: no ring", s.name)
		}
	}
	// "At once": every device is aborted while the others are, not one
	// after the other. Each abort waits until all have begun, so a Stop
	// that closes them in turn never gets past the first. How fast Stop is
	// on real devices is measured, not asserted (BENCHMARKS.md, audio).
	var begun sync.WaitGroup
	begun.Add(len(streams))
	overlapped := make(chan bool, len(streams))
	for _, s := range streams {
		s.onAbort = func() {
			begun.Done()
			all := make(chan struct{})
			go func() { begun.Wait(); close(all) }()
			select {
			case <-all:
				overlapped <- true
			case <-time.After(hangGuard):
				overlapped <- false
			}
		}
	}
	r.Stop()
	for range streams {
		if !<-overlapped {
			t.Fatalf("hang guard (%v): Stop aborted the ringer's devices one after the other, not all at once", hangGuard)
		}
	}
	for _, s := range streams {
		select {
		case <-s.aborted:
		default:
			t.Fatalf("%s still open after Stop", s.name)
		}
	}
}

// The per-frame paths allocate nothing.
func TestNoAllocationPerFrame(t *testing.T) {
	sys, fb := fakeSystem(t)
	sys.stallLimit, sys.firstIOLimit = time.Hour, time.Hour
	fb.rates["mic"], fb.rates["spk"] = 48000, 48000
	c, _ := sys.OpenCapture("", f8k20, StreamOptions{})
	cs := fb.last()
	p, _ := sys.OpenPlayback("", f8k20, StreamOptions{})
	ps := fb.last()
	dev := make([]int16, 960)
	frame := make([]int16, 160)
	capAllocs := testing.AllocsPerRun(200, func() {
		cs.cb(dev)
		c.ReadPCM(frame)
	})
	playAllocs := testing.AllocsPerRun(200, func() {
		p.WritePCM(frame)
		ps.cb(dev)
	})
	if capAllocs != 0 || playAllocs != 0 {
		t.Fatalf("allocations per frame: capture %v, playback %v", capAllocs, playAllocs)
	}
}

// A device that never gets going is reopened once, then left for the
// default.
func TestSlowStartRestartsThenMoves(t *testing.T) {
	sys, fb := fakeSystem(t)
	moved := make(chan Move, 1)
	p, err := sys.OpenPlayback("headset", f8k20, StreamOptions{OnMove: func(m Move) { moved <- m }})
	if err != nil {
		t.Fatal(err)
	}
	if m := recv(t, moved, "no move"); m.From != "headset" || m.To != "spk" {
		t.Fatalf("%+v", m)
	}
	fb.mu.Lock()
	n := len(fb.streams)
	names := []string{fb.streams[0].name, fb.streams[1].name, fb.streams[2].name}
	fb.mu.Unlock()
	if n != 3 || names[1] != "headset" || names[2] != "spk" {
		t.Fatalf("opened %d streams: %v", n, names)
	}
	if st := p.Stats(); st.Restarts != 1 || st.Moves != 1 {
		t.Fatalf("%+v", st)
	}
}

func TestAlertReleasesDevicesAfterItsEnd(t *testing.T) {
	sys, fb := fakeSystem(t)
	sys.stallLimit, sys.firstIOLimit = time.Hour, time.Hour
	r := NewRinger(sys)
	var ph float64
	if _, err := r.Start([]string{"spk"}, sine(1000, 8000, 800, 0.5, &ph), 8000, false); err != nil {
		t.Fatal(err)
	}
	s := fb.last()
	out := make([]int16, 80)
	for i := 0; r.Ringing(); i++ {
		if i > 1000 {
			t.Fatal("the alert's device is still open")
		}
		s.cb(out)
		time.Sleep(time.Millisecond)
	}
	recv(t, s.aborted, "not released")
	r.Stop()
}

// A call's media queues its speaker's frames without waiting, even on a
// device that takes nothing (a PulseAudio null sink takes up to 2 s to
// start a new stream): WritePCM would hold the media's turn two frames
// each time, and with it the microphone's packet. Four frames wait, the
// oldest go.
func TestPlaybackQueuePCMNeverWaits(t *testing.T) {
	fb := newFake()
	sys := newSystem(fb)
	sys.stallLimit, sys.firstIOLimit = time.Hour, time.Hour
	defer sys.Close()
	pb, err := sys.OpenPlayback("", f8k20, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, 160)
	for i := range 50 {
		frame[0] = int16(i)
		if n, err := pb.QueuePCM(frame); n != len(frame) || err != nil {
			t.Fatalf("frame %d: queued %d, %v", i, n, err)
		}
	}
	if st := pb.Stats(); st.Overruns != 46 {
		t.Errorf("overruns %d after 50 frames into a device that took none, want 46 (four wait)", st.Overruns)
	}
	// The device takes the newest four, oldest first.
	pb.mu.Lock()
	got := make([]int16, 4*160+8)
	n := pb.q.read(got)
	pb.mu.Unlock()
	if n != 4*160 || got[0] != 46 || got[3*160] != 49 {
		t.Fatalf("queued %d samples starting with frame %d, ending with frame %d; want frames 46 to 49", n, got[0], got[3*160])
	}
}
