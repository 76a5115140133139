package nativemsg

import (
	"errors"
	"fmt"
	"io"
)

// Side names which end of a relay stopped it.
type Side int

const (
	SideBrowser Side = iota + 1
	SideAgent
)

func (s Side) String() string {
	if s == SideBrowser {
		return "browser"
	}
	return "agent"
}

// RelayError says which side ended the relay and why. Err is io.EOF for
// a clean close and a *FrameTooLargeError for an oversized frame.
type RelayError struct {
	Side Side
	Err  error
}

func (e *RelayError) Error() string { return fmt.Sprintf("%s side: %v", e.Side, e.Err) }
func (e *RelayError) Unwrap() error { return e.Err }

// Relay copies whole frames browser→agent and agent→browser until either
// side ends or sends a frame over MaxFrame, and returns the first such
// event. Frames are checked but not parsed. The caller closes both
// streams afterwards, which also ends the other direction's copy.
func Relay(browserIn io.Reader, browserOut io.Writer, agent io.ReadWriter) *RelayError {
	errs := make(chan *RelayError, 2)
	pump := func(side Side, src io.Reader, dst io.Writer) {
		r := NewReader(src)
		for {
			p, err := r.ReadFrame()
			if err == nil {
				if err = WriteFrame(dst, p); err != nil {
					// A write failure is the other side going away.
					other := SideAgent
					if side == SideAgent {
						other = SideBrowser
					}
					errs <- &RelayError{Side: other, Err: err}
					return
				}
				continue
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = io.EOF
			}
			errs <- &RelayError{Side: side, Err: err}
			return
		}
	}
	go pump(SideBrowser, browserIn, agent)
	go pump(SideAgent, agent, browserOut)
	return <-errs
}
