package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/jfreymuth/pulse/proto"
)

// pulseStream is one playback or record stream on a pulseConn, at the
// codec's rate and in mono: the server converts to and from the
// device's format, so nothing resamples in this process. Its callback
// runs on the connection's read loop: a record stream's with each packet
// the server sends, a playback stream's with each request for more.
type pulseStream struct {
	c      *pulseConn
	index  uint32 // the stream's channel on the connection
	input  bool
	sr     int
	cb     callback
	device atomic.Pointer[string] // the id of the device it plays on now

	killed  atomic.Bool // the server ended it
	aborted atomic.Bool

	mu    sync.Mutex // one callback at a time; abort waits for it
	pcm   []int16
	wire  []byte
	carry int // capture: a packet's odd last byte, -1 when none

	evMu    sync.Mutex
	onEvent func(streamEvent)
	early   []streamEvent // events before onEvent was set
}

func (s *pulseStream) rate() int { return s.sr }
func (s *pulseStream) deviceID() string {
	if p := s.device.Load(); p != nil {
		return *p
	}
	return ""
}

func (s *pulseStream) setDevice(id string) { s.device.Store(&id) }

func (s *pulseStream) setEvents(fn func(streamEvent)) {
	s.evMu.Lock()
	s.onEvent = fn
	early := s.early
	s.early = nil
	s.evMu.Unlock()
	for _, ev := range early {
		fn(ev)
	}
}

func (s *pulseStream) event(ev streamEvent) {
	s.evMu.Lock()
	fn := s.onEvent
	if fn == nil {
		s.early = append(s.early, ev)
	}
	s.evMu.Unlock()
	if fn != nil {
		fn(ev)
	}
}

// captured converts a packet of S16LE to samples for the callback.
func (s *pulseStream) captured(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.aborted.Load() {
		return
	}
	if s.carry >= 0 && len(b) > 0 {
		s.pcm[0] = int16(uint16(s.carry) | uint16(b[0])<<8)
		s.cb(s.pcm[:1])
		b = b[1:]
		s.carry = -1
	}
	for len(b) >= 2 {
		n := min(len(b)/2, len(s.pcm))
		for i := range n {
			s.pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
		}
		s.cb(s.pcm[:n])
		b = b[2*n:]
	}
	if len(b) == 1 {
		s.carry = int(b[0])
	}
}

// fill answers the server's request for n bytes.
func (s *pulseStream) fill(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for n >= 2 && !s.aborted.Load() {
		k := min(n/2, len(s.pcm))
		s.cb(s.pcm[:k])
		for i, v := range s.pcm[:k] {
			binary.LittleEndian.PutUint16(s.wire[2*i:], uint16(v))
		}
		if s.c.c.Send(s.index, s.wire[:2*k]) != nil {
			return
		}
		n -= 2 * k
	}
}

// abort deletes the stream on the server. The callback in progress, if
// any, finishes first; none runs after.
func (s *pulseStream) abort() error {
	if s.aborted.Swap(true) {
		return nil
	}
	s.c.mu.Lock()
	if tab := s.c.streamsOf(s.input); tab[s.index] == s {
		delete(tab, s.index)
	}
	s.c.mu.Unlock()
	s.mu.Lock() // wait for a callback on the read loop; not held below
	s.mu.Unlock()
	if s.killed.Load() || s.c.failed() != nil {
		return nil
	}
	var err error
	if s.input {
		err = s.c.c.Request(&proto.DeleteRecordStream{StreamIndex: s.index}, nil)
	} else {
		err = s.c.c.Request(&proto.DeletePlaybackStream{StreamIndex: s.index}, nil)
	}
	if err != nil && !errors.Is(err, proto.ErrNoSuchEntity) && s.c.failed() == nil {
		return fmt.Errorf("audio: delete the %s stream on %s: %w", direction(s.input), s.deviceID(), err)
	}
	return nil
}
