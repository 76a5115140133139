package phoneapi

import (
	"errors"
	"sync"
	"time"

	"github.com/openbpclient/bpclient/audio"
	"github.com/openbpclient/bpclient/sip"
)

// Ringer rings the ringer devices; the audio service is one.
type Ringer interface {
	Ring(clip []int16, rate int, loop bool) ([]string, error)
	StopRing()
}

// DeviceAudio gives calls the selected microphone and speaker of sys.
// selected returns the input and output ids ("" = the system default).
// The microphone is read by a goroutine of its own, which hands each
// frame to the call's media as it comes (sip.FrameSource): the media
// sends it at once, and its clock never waits for the device.
func DeviceAudio(sys *audio.System, selected func() (input, output string)) sip.AudioFactory {
	return func(callID string, rate int) (sip.Audio, error) {
		if sys == nil {
			return sip.Audio{}, errors.New("audio is unavailable")
		}
		in, out := selected()
		f := audio.Format{Rate: rate, Frame: 20 * time.Millisecond}
		capture, err := sys.OpenCapture(in, f, audio.StreamOptions{Name: "call"})
		if err != nil {
			return sip.Audio{}, err
		}
		playback, err := sys.OpenPlayback(out, f, audio.StreamOptions{Name: "call"})
		if err != nil {
			capture.Close()
			return sip.Audio{}, err
		}
		mic := newMicPump(capture, f.Samples())
		return sip.Audio{Source: mic, Sink: speaker{playback}, Close: func() {
			mic.stop() // closes the capture
			playback.Close()
		}}, nil
	}
}

// speaker is the call's playback stream as its media writes it: queued
// without waiting, so that the media's 20 ms turn, which also sends the
// microphone's frame, is never held by the device (a held turn sends
// its packets late and in pairs).
type speaker struct{ p *audio.Playback }

// WritePCM implements sip.PCMSink.
func (s speaker) WritePCM(buf []int16) (int, error) { return s.p.QueuePCM(buf) }

// micPump reads a capture stream in its own goroutine and hands out the
// newest frames without blocking.
type micPump struct {
	c     *audio.Capture
	frame int
	done  chan struct{}
	wg    sync.WaitGroup

	rbuf []int16 // the goroutine's read buffer

	mu     sync.Mutex
	frames frameRing // at most micBacklog waiting
	// ready is the media's to call after each frame (NotifyPCM): the
	// call then sends each frame as it comes, and ReadPCM's holding and
	// trimming below are not used.
	ready func()
	// starved: a read found no frame. The next frame goes out once a
	// second one waits behind it: a device that delivers in bursts then
	// keeps a frame in hand between them instead of leaving a 20 ms
	// hole at each, for one frame of latency after an underrun.
	starved bool
	// least is the fewest frames waiting at a read during the current
	// trimWindow reads, the one the read takes included; reads counts
	// them (trim).
	least, reads int
	// surplus is how many frames the last window showed were never
	// needed (they waited at every read of it), still to be dropped.
	surplus int
	// clean counts the windows in a row in which a frame was left over
	// at every read: the one frame kept in hand goes after spareWindows.
	clean int
}

// micBacklog is how many frames the pump keeps for the call: a sound
// server may hand over several at once (PipeWire's quantum is about three
// 20 ms frames, more when a client asks for more latency), and a burst
// must not lose its oldest frame before the media clock has taken it.
const micBacklog = 10

// trimWindow is how many reads (a second of 20 ms frames) the pump
// watches before it drops the frames that waited at every one of them:
// each late capture packet leaves a frame more in hand (the clock does
// not wait for it), and a device faster than the call's clock builds a
// backlog, either of which would otherwise delay the agent's voice for
// the rest of the call; a device's bursts, which empty the queue now and
// then, are left alone.
const trimWindow = 50

// spareWindows is how many windows in a row must have kept a frame in
// hand at every read before that frame goes too: dropped at once, the
// next late packet of a loaded machine would find the queue empty and
// send 20 ms of silence (TestFrontClip's holes), so only a device that
// has been steady for that long loses its last frame of slack.
const spareWindows = 3

// trimEvery is how many reads apart the surplus frames go, one at a
// time and the quietest waiting: a cut of 20 ms in a pause is not heard,
// and spread out, a stall's backlog does not leave a hole of its length.
const trimEvery = 5

func newMicPump(c *audio.Capture, frame int) *micPump {
	m := &micPump{c: c, frame: frame, done: make(chan struct{}), rbuf: make([]int16, frame), frames: newFrameRing(micBacklog, frame)}
	m.wg.Add(1)
	go m.run()
	return m
}

func (m *micPump) run() {
	defer m.wg.Done()
	for {
		n, err := m.c.ReadPCM(m.rbuf)
		select {
		case <-m.done:
			return
		default:
		}
		if err != nil {
			// The stream ended (closed, or its device failed for good).
			return
		}
		m.mu.Lock()
		m.frames.push(m.rbuf[:n])
		ready := m.ready
		m.mu.Unlock()
		if ready != nil {
			ready()
		}
	}
}

// NotifyPCM implements sip.FrameSource.
func (m *micPump) NotifyPCM(ready func()) {
	m.mu.Lock()
	m.ready = ready
	m.mu.Unlock()
}

// NextPCM implements sip.FrameSource.
func (m *micPump) NextPCM(buf []int16) (n, left int, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.frames.len() == 0 {
		return 0, 0, false
	}
	n = m.frames.pop(buf)
	return n, m.frames.len(), true
}

// ReadPCM implements sip.PCMSource.
func (m *micPump) ReadPCM(buf []int16) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.trim()
	n := 0
	switch {
	case m.frames.len() == 0:
		m.starved = true
	case m.starved && m.frames.len() < 2:
	default:
		m.starved = false
		n = m.frames.pop(buf)
	}
	clear(buf[n:])
	return len(buf), nil
}

// trim keeps the queue as deep as the device's jitter needs and no
// deeper: it counts the fewest frames waiting at the reads of a window;
// of those beyond the one the tightest read took, all but one (the frame
// in hand) go during the next window, one every trimEvery reads, and the
// one in hand too once spareWindows windows in a row did not need it;
// mu is held.
func (m *micPump) trim() {
	if m.surplus > 0 && m.reads%trimEvery == 0 && m.frames.len() > 1 {
		m.frames.dropQuietest()
		m.surplus--
	}
	if m.reads == 0 || m.frames.len() < m.least {
		m.least = m.frames.len()
	}
	m.reads++
	if m.reads < trimWindow {
		return
	}
	m.surplus = max(m.least-2, 0)
	if m.least >= 2 {
		m.clean++
	} else {
		m.clean = 0
	}
	if m.clean >= spareWindows {
		m.surplus, m.clean = m.least-1, 0
	}
	m.reads = 0
}

// DiscardPCM implements sip.PCMDiscarder: as the call connects, the
// backlog captured while it rang goes, but for the newest two frames (one
// to send now, one in hand), so the far end hears the agent from the first
// packet instead of from the device's next burst.
func (m *micPump) DiscardPCM() {
	m.mu.Lock()
	if n := m.frames.len(); n > 2 {
		m.frames.drop(n - 2)
	}
	m.starved, m.reads, m.surplus, m.clean = false, 0, 0, 0
	m.mu.Unlock()
}

// stop ends the goroutine; the caller closes the capture stream, which
// wakes a pending ReadPCM.
func (m *micPump) stop() {
	close(m.done)
	m.c.Close()
	m.wg.Wait()
}

// frameRing is the pump's queue of frames, in buffers allocated once: a
// buffer per frame was 50 allocations a second, garbage that grew the
// agent's heap by about a megabyte during a call. Its owner locks it.
type frameRing struct {
	buf     [][]int16
	lens    []int
	loud    []int64 // each frame's sum of absolute samples
	head, n int
}

func newFrameRing(frames, size int) frameRing {
	r := frameRing{buf: make([][]int16, frames), lens: make([]int, frames), loud: make([]int64, frames)}
	for i := range r.buf {
		r.buf[i] = make([]int16, size)
	}
	return r
}

func (r *frameRing) len() int { return r.n }

// push copies p in (at most a frame) as the newest, dropping the oldest
// when the ring is full.
func (r *frameRing) push(p []int16) {
	if r.n == len(r.buf) {
		r.drop(1)
	}
	i := (r.head + r.n) % len(r.buf)
	r.lens[i] = copy(r.buf[i], p)
	var loud int64
	for _, v := range r.buf[i][:r.lens[i]] {
		x := int64(v)
		loud += max(x, -x)
	}
	r.loud[i] = loud
	r.n++
}

// pop copies the oldest frame into dst and returns its length; 0 when
// the ring is empty.
func (r *frameRing) pop(dst []int16) int {
	if r.n == 0 {
		return 0
	}
	k := copy(dst, r.buf[r.head][:r.lens[r.head]])
	r.drop(1)
	return k
}

// dropQuietest drops the quietest waiting frame (the oldest of equals)
// when more than one waits; the others keep their order.
func (r *frameRing) dropQuietest() {
	if r.n < 2 {
		return
	}
	q := 0
	for j := 1; j < r.n; j++ {
		if r.loud[(r.head+j)%len(r.buf)] < r.loud[(r.head+q)%len(r.buf)] {
			q = j
		}
	}
	// Move the older frames up over it (their buffers, not their samples)
	// and drop the oldest slot, which now holds the dropped frame's buffer.
	for j := q; j > 0; j-- {
		a, b := (r.head+j)%len(r.buf), (r.head+j-1)%len(r.buf)
		r.buf[a], r.buf[b] = r.buf[b], r.buf[a]
		r.lens[a], r.lens[b] = r.lens[b], r.lens[a]
		r.loud[a], r.loud[b] = r.loud[b], r.loud[a]
	}
	r.drop(1)
}

// drop drops the k oldest frames (all, when fewer wait).
func (r *frameRing) drop(k int) {
	k = min(k, r.n)
	r.head = (r.head + k) % len(r.buf)
	r.n -= k
}
