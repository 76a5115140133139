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
// The microphone is read by a goroutine of its own so that the call's
// media clock never waits for the device: a frame that is not there yet
// is sent as silence.
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

	mu     sync.Mutex
	frames [][]int16 // at most micBacklog waiting
	// starved: a read found no frame. The next frame goes out once a
	// second one waits behind it: a device that delivers in bursts then
	// keeps a frame in hand between them instead of leaving a 20 ms
	// hole at each, for one frame of latency after an underrun.
	starved bool
	// least is the fewest frames waiting at a read during the current
	// trimWindow reads; reads counts them (trim).
	least, reads int
}

// micBacklog is how many frames the pump keeps for the call: a sound
// server may hand over several at once (PipeWire's quantum is about three
// 20 ms frames, more when a client asks for more latency), and a burst
// must not lose its oldest frame before the media clock has taken it.
const micBacklog = 10

// trimWindow is how many reads (a second of 20 ms frames) the queue must
// stay above two frames before trim drops the excess: a device that runs
// faster than the call's clock builds a backlog that would otherwise
// delay the agent's voice by up to micBacklog frames for the rest of the
// call, while bursts come and go within it.
const trimWindow = 50

func newMicPump(c *audio.Capture, frame int) *micPump {
	m := &micPump{c: c, frame: frame, done: make(chan struct{})}
	m.wg.Add(1)
	go m.run()
	return m
}

func (m *micPump) run() {
	defer m.wg.Done()
	for {
		buf := make([]int16, m.frame)
		n, err := m.c.ReadPCM(buf)
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
		m.frames = append(m.frames, buf[:n])
		if len(m.frames) > micBacklog {
			m.frames = m.frames[1:]
		}
		m.mu.Unlock()
	}
}

// ReadPCM implements sip.PCMSource.
func (m *micPump) ReadPCM(buf []int16) (int, error) {
	m.mu.Lock()
	m.trim()
	var f []int16
	switch {
	case len(m.frames) == 0:
		m.starved = true
	case m.starved && len(m.frames) < 2:
	default:
		m.starved = false
		f, m.frames = m.frames[0], m.frames[1:]
	}
	m.mu.Unlock()
	n := copy(buf, f)
	clear(buf[n:])
	return len(buf), nil
}

// trim drops the frames that waited at every read of the last
// trimWindow reads, but for two: the one read and the one kept in hand
// (as after an underrun); mu is held.
func (m *micPump) trim() {
	if m.reads == 0 || len(m.frames) < m.least {
		m.least = len(m.frames)
	}
	m.reads++
	if m.reads < trimWindow {
		return
	}
	if excess := m.least - 2; excess > 0 {
		m.frames = m.frames[excess:]
	}
	m.reads = 0
}

// DiscardPCM implements sip.PCMDiscarder: as the call connects, the
// backlog captured while it rang goes, but for the newest two frames (one
// to send now, one in hand), so the far end hears the agent from the first
// packet instead of from the device's next burst.
func (m *micPump) DiscardPCM() {
	m.mu.Lock()
	if n := len(m.frames); n > 2 {
		m.frames = m.frames[n-2:]
	}
	m.starved, m.reads = false, 0
	m.mu.Unlock()
}

// stop ends the goroutine; the caller closes the capture stream, which
// wakes a pending ReadPCM.
func (m *micPump) stop() {
	close(m.done)
	m.c.Close()
	m.wg.Wait()
}
