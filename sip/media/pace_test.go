package media

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/openbpclient/bpclient/sip/sdp"
	"github.com/openbpclient/bpclient/sip/srtpmedia"
)

// fakeCapture is a microphone that hands over frames when the test
// delivers them, as the call's capture pump does: queued, then the
// media told once per frame.
type fakeCapture struct {
	mu    sync.Mutex
	q     [][]int16
	ready func()
}

func (f *fakeCapture) ReadPCM(buf []int16) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(buf)
	if len(f.q) > 0 {
		copy(buf, f.q[0])
		f.q = f.q[1:]
	}
	return len(buf), nil
}

func (f *fakeCapture) NotifyPCM(ready func()) {
	f.mu.Lock()
	f.ready = ready
	f.mu.Unlock()
}

func (f *fakeCapture) NextPCM(buf []int16) (n, left int, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.q) == 0 {
		return 0, 0, false
	}
	n = copy(buf, f.q[0])
	f.q = f.q[1:]
	return n, len(f.q), true
}

// deliver queues frames (a burst when more than one) and tells the media.
func (f *fakeCapture) deliver(frames ...[]int16) {
	f.mu.Lock()
	f.q = append(f.q, frames...)
	ready := f.ready
	f.mu.Unlock()
	for range frames {
		if ready != nil {
			ready()
		}
	}
}

// level is a frame of one constant sample value: what a packet carries
// is told by its decoded level.
func level(v int16) []int16 {
	f := make([]int16, 160)
	for i := range f {
		f[i] = v
	}
	return f
}

// pacedCall is a PCMU call's media on a fake clock with mic as its
// microphone, sending to the returned socket.
func pacedCall(t *testing.T, mic PCMSource) (*fakeClock, *net.UDPConn) {
	t.Helper()
	return securePacedCall(t, mic, nil)
}

// securePacedCall is pacedCall protecting its packets with sec.
func securePacedCall(t *testing.T, mic PCMSource, sec *srtpmedia.Transformer) (*fakeClock, *net.UDPConn) {
	t.Helper()
	clock := newFakeClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	m := clockedMedia(t, clock, Options{})
	m.sec = sec
	sig := listenLoopback(t, "127.0.0.1")
	sigRTCP := listenLoopback(t, "127.0.0.1")
	neg := sdp.Agreement{Remote: sig.LocalAddr().(*net.UDPAddr), RemoteRTCP: sigRTCP.LocalAddr().(*net.UDPAddr), Send: pcmu(t)[0], Direction: sdp.SendRecv}
	if err := m.Start(neg, Audio{Source: mic}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	if fs, ok := mic.(*fakeCapture); ok {
		waitFor(t, "the media listening to the microphone", func() bool {
			fs.mu.Lock()
			defer fs.mu.Unlock()
			return fs.ready != nil
		})
	}
	return clock, sig
}

// sent is one packet as the far end got it: its timestamp and sequence
// number, and the level it decodes to.
type sent struct {
	ts    uint32
	seq   uint16
	level int
}

// recvSent reads the packets that arrive within wait of each other.
func recvSent(t *testing.T, c *net.UDPConn, wait time.Duration) []sent {
	t.Helper()
	return recvSecureSent(t, c, wait, nil)
}

// recvSecureSent is recvSent of packets that sec unprotects.
func recvSecureSent(t *testing.T, c *net.UDPConn, wait time.Duration, sec *srtpmedia.Transformer) []sent {
	t.Helper()
	dec, err := pcmu(t)[0].Codec.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	var out []sent
	buf := make([]byte, 1500)
	pcm := make([]int16, 160)
	for {
		_ = c.SetReadDeadline(time.Now().Add(wait))
		n, err := c.Read(buf)
		if err != nil {
			return out
		}
		b := buf[:n]
		if sec != nil {
			if b, err = sec.UnprotectRTP(nil, b); err != nil {
				t.Fatalf("a packet does not unprotect: %v", err)
			}
		}
		var p rtp.Packet
		if err := p.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		k, _ := dec.Decode(pcm, p.Payload)
		sum := 0
		for _, v := range pcm[:k] {
			sum += int(v)
		}
		out = append(out, sent{p.Timestamp, p.SequenceNumber, sum / max(k, 1)})
	}
}

// continuous fails unless each packet's timestamp is a frame (160) past
// the one before and its sequence number the next: no frame sent twice,
// none skipped.
func continuous(t *testing.T, got []sent) {
	t.Helper()
	for i := 1; i < len(got); i++ {
		if got[i].ts-got[i-1].ts != 160 || got[i].seq-got[i-1].seq != 1 {
			t.Fatalf("packet %d: timestamp %+d, sequence %+d after the one before; want +160 and +1 (%v)",
				i, int32(got[i].ts-got[i-1].ts), int16(got[i].seq-got[i-1].seq), got)
		}
	}
}

// near says whether a decoded level is v's (PCMU's step there is 2-4%).
func near(got int, v int16) bool {
	d := got - int(v)
	return d*d*400 <= int(v)*int(v) // within 5 %
}

// Each frame goes out as the device hands it over, before the call's
// clock has moved; a burst of three (pipewire-pulse's 60 ms) goes at
// once, in order, with continuous timestamps.
func TestPacedSendGoesAsTheDeviceDelivers(t *testing.T) {
	mic := &fakeCapture{}
	clock, far := pacedCall(t, mic)
	clock.step(t, frameDur) // the first packet goes on the clock's first turn
	mic.deliver(level(1000))
	got := recvSent(t, far, 200*time.Millisecond)
	if len(got) != 1 || !near(got[0].level, 1000) {
		t.Fatalf("one frame delivered, the clock not moved: sent %v, want that frame at once", got)
	}
	clock.step(t, frameDur)
	mic.deliver(level(2000), level(3000), level(4000))
	got = append(got, recvSent(t, far, 200*time.Millisecond)...)
	if len(got) != 4 {
		t.Fatalf("a period on, a burst of 3 delivered: %d packets in all, want 4 (%v)", len(got), got)
	}
	for i, v := range []int16{1000, 2000, 3000, 4000} {
		if !near(got[i].level, v) {
			t.Errorf("packet %d: level %d, want %d", i, got[i].level, v)
		}
	}
	continuous(t, got)
}

// A device that stops: the call's clock sends in its place within one
// frame period (the last frame again, at half its level, then silence),
// timestamps continuous; the device's next frame goes at once after.
func TestPacedSendStallFallsBackToTheClock(t *testing.T) {
	mic := &fakeCapture{}
	clock, far := pacedCall(t, mic)
	var got []sent
	for range 5 { // steady: a frame each period
		mic.deliver(level(1000))
		clock.step(t, frameDur)
	}
	got = append(got, recvSent(t, far, 100*time.Millisecond)...)
	if len(got) != 5 {
		t.Fatalf("5 frames in 5 periods: %d packets (%v)", len(got), got)
	}
	// The stall: the first period late is waited for, then one packet
	// per period.
	clock.step(t, frameDur)
	if late := recvSent(t, far, 100*time.Millisecond); len(late) != 0 {
		t.Fatalf("one period without a frame: %d packets sent (%v); want the frame waited for", len(late), late)
	}
	for i := range 4 {
		clock.step(t, frameDur)
		p := recvSent(t, far, 100*time.Millisecond)
		if len(p) != 1 {
			t.Fatalf("period %d of the stall: %d packets, want 1 (%v)", i+2, len(p), p)
		}
		got = append(got, p...)
	}
	for i, want := range []int16{1000, 500, 0, 0} {
		if l := got[5+i].level; (want == 0 && l != 0) || (want != 0 && !near(l, want)) {
			t.Errorf("fill %d: level %d, want %d", i, l, want)
		}
	}
	mic.deliver(level(3000))
	p := recvSent(t, far, 100*time.Millisecond)
	if len(p) != 1 || !near(p[0].level, 3000) {
		t.Fatalf("the device back: sent %v, want its frame at once", p)
	}
	continuous(t, append(got, p...))
}

// A stall's backlog handed over at once: the frames whose turns the
// fills took do not go (the far end would keep them as delay), the
// newest does, and the device's frames then go as they come.
func TestPacedSendStallBacklogDoesNotPileUp(t *testing.T) {
	mic := &fakeCapture{}
	clock, far := pacedCall(t, mic)
	for range 3 {
		mic.deliver(level(1000))
		clock.step(t, frameDur)
	}
	for range 5 { // 4 fills
		clock.step(t, frameDur)
	}
	got := recvSent(t, far, 100*time.Millisecond)
	if len(got) != 7 {
		t.Fatalf("3 frames and a stall of 5 periods: %d packets, want 7 (%v)", len(got), got)
	}
	// The stalled 5 frames come at once, with the current one.
	mic.deliver(level(2000), level(2000), level(2000), level(2000), level(2000), level(3000))
	p := recvSent(t, far, 100*time.Millisecond)
	if len(p) != 2 || !near(p[1].level, 3000) {
		t.Fatalf("a backlog of 6 after 4 fills: sent %v, want 2 (the 4 the fills stood for not sent), the newest last", p)
	}
	for range 10 {
		mic.deliver(level(4000))
		clock.step(t, frameDur)
	}
	q := recvSent(t, far, 100*time.Millisecond)
	if len(q) != 10 {
		t.Fatalf("10 frames in 10 periods after the backlog: %d packets (%v)", len(q), q)
	}
	continuous(t, append(append(got, p...), q...))
}

// A device 2% slow (49 frames in 50 periods, one late by a period now
// and then): the packets keep the call's rate, one fill per missing
// frame, timestamps continuous, none sent twice.
func TestPacedSendSlowDevice(t *testing.T) {
	const periods = 200
	_, got := runDevice(t, periods, func(i int) int { return 1 - i%50/49 })
	if len(got) < periods-1 || len(got) > periods+1 {
		t.Errorf("%d periods of a slow device: %d packets, want the call's rate (%d±1)", periods, len(got), periods)
	}
	continuous(t, got)
}

// runDevice runs a paced call for periods clock periods, delivering
// frames(i) frames in period i, and returns the microphone and what the
// far end got.
func runDevice(t *testing.T, periods int, frames func(i int) int) (*fakeCapture, []sent) {
	t.Helper()
	mic := &fakeCapture{}
	clock, far := pacedCall(t, mic)
	var got []sent
	for i := range periods {
		for range frames(i) {
			mic.deliver(level(1000))
		}
		clock.step(t, frameDur)
		got = append(got, recvSent(t, far, 20*time.Millisecond)...)
	}
	return mic, append(got, recvSent(t, far, 100*time.Millisecond)...)
}

// A device that runs fast (a frame more every 25 periods, 4 %): what
// the clock cannot take does not pile up, and nothing goes twice.
func TestPacedSendFastDevice(t *testing.T) {
	const periods = 300
	mic, got := runDevice(t, periods, func(i int) int { return 1 + i%25/24 })
	if len(got) > periods+pacerAhead+1 {
		t.Errorf("%d periods of a fast device: %d packets, want at most the call's rate and %d ahead", periods, len(got), pacerAhead)
	}
	mic.mu.Lock()
	standing := len(mic.q)
	mic.mu.Unlock()
	if standing > 3 {
		t.Errorf("%d frames left waiting after %d periods: the fast device's surplus piles up", standing, periods)
	}
	continuous(t, got)
}

// A secure call's frames go the same way: as the device hands them over
// and, in a stall, from the clock, each packet protected and in order.
func TestPacedSendSRTP(t *testing.T) {
	ours, theirs := testKeys(t), testKeys(t)
	sec, err := srtpmedia.New(ours, theirs)
	if err != nil {
		t.Fatal(err)
	}
	peer, err := srtpmedia.New(theirs, ours)
	if err != nil {
		t.Fatal(err)
	}
	mic := &fakeCapture{}
	clock, far := securePacedCall(t, mic, sec)
	clock.step(t, frameDur)
	mic.deliver(level(1000))
	mic.deliver(level(2000))
	got := recvSecureSent(t, far, 200*time.Millisecond, peer)
	if len(got) != 2 {
		t.Fatalf("2 frames delivered, the clock not moved: %d packets (%v)", len(got), got)
	}
	for range 4 { // the second frame's period, one waited for, 2 filled
		clock.step(t, frameDur)
	}
	got = append(got, recvSecureSent(t, far, 100*time.Millisecond, peer)...)
	if len(got) != 4 || !near(got[2].level, 2000) {
		t.Fatalf("then 4 periods without a frame: %v; want 2 fills, the first the last frame again", got)
	}
	continuous(t, got)
}

// Late frames that come one at a time (the device fell behind, then
// caught up by handing two over in one period): the fills are paid back
// once the device has been ahead of the clock for a window, with a frame
// of the usual level, never a loud one (a word's onset, a click).
func TestPacedSendFillPaidBackWithAQuietFrame(t *testing.T) {
	mic := &fakeCapture{}
	clock, far := pacedCall(t, mic)
	for range 20 {
		mic.deliver(level(500))
		clock.step(t, frameDur)
	}
	for range 3 { // late: 2 fills
		clock.step(t, frameDur)
	}
	mic.deliver(level(500)) // the late ones, one at a time
	mic.deliver(level(500))
	mic.deliver(level(500))
	clock.step(t, frameDur)
	got := recvSent(t, far, 100*time.Millisecond)
	if len(got) != 25 {
		t.Fatalf("20 frames, 2 fills, 3 late frames: %d packets, want 25", len(got))
	}
	// Ahead of the clock from here on: a fill is paid back at the end of
	// each window (the clock's periods 100 and 150). After the first, the
	// next frames are loud: they go, and the quiet one after them pays.
	sent0 := len(got)
	for i := range 3 * pacerWindow {
		v := int16(500)
		if tick := 25 + i + 1; tick > 2*pacerWindow && tick <= 2*pacerWindow+10 {
			v = 8000
		}
		mic.deliver(level(v))
		clock.step(t, frameDur)
	}
	got = append(got, recvSent(t, far, 100*time.Millisecond)...)
	loud := 0
	for _, p := range got[sent0:] {
		if near(p.level, 8000) {
			loud++
		}
	}
	if loud != 10 {
		t.Errorf("%d of 10 loud frames sent, want all", loud)
	}
	if n := len(got) - sent0; n != 3*pacerWindow-2 {
		t.Errorf("%d frames in as many periods after 2 fills: %d sent, want 2 fewer", 3*pacerWindow, n)
	}
	continuous(t, got)
}

// What the microphone queued before the media started (while the call
// rang, nobody took its frames) goes, but for the newest: sent at once,
// it would stand in the far end's buffer all call long. The first packet
// goes on the clock's first turn.
func TestPacedSendStartsWithTheNewestFrame(t *testing.T) {
	mic := &fakeCapture{q: [][]int16{level(1000), level(1000), level(1000), level(1000), level(3000)}}
	clock, far := pacedCall(t, mic)
	if got := recvSent(t, far, 100*time.Millisecond); len(got) != 0 {
		t.Fatalf("sent %v before the clock's first turn", got)
	}
	clock.step(t, frameDur)
	got := recvSent(t, far, 200*time.Millisecond)
	if len(got) != 1 || !near(got[0].level, 3000) {
		t.Fatalf("5 frames queued before the start: sent %v, want the newest alone", got)
	}
	clock.step(t, frameDur)
	mic.deliver(level(2000))
	got = append(got, recvSent(t, far, 100*time.Millisecond)...)
	if len(got) != 2 || !near(got[1].level, 2000) {
		t.Fatalf("then a frame: sent %v", got)
	}
	continuous(t, got)
}
