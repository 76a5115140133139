package live

import (
	"fmt"
	"strings"
	"sync"
)

// stateTeller reports state changes once each and nothing after
// StateEnded, whichever goroutine sees the change first.
type stateTeller struct {
	mu    sync.Mutex
	f     func(State, string)
	last  State
	ended bool
}

func (t *stateTeller) tell(st State, reason string) {
	t.mu.Lock()
	if t.ended || st == t.last {
		t.mu.Unlock()
		return
	}
	t.last, t.ended = st, st == StateEnded
	f := t.f
	t.mu.Unlock()
	if f != nil {
		f(st, reason)
	}
}

// maxSDP bounds an SDP the pages hand in: ours are about 2 kB.
const maxSDP = 64 << 10

// checkSDP refuses what cannot be an SDP before pion parses it.
func checkSDP(sdp string) error {
	switch {
	case len(sdp) > maxSDP:
		return fmt.Errorf("%w: %d bytes, more than %d", ErrBadSDP, len(sdp), maxSDP)
	case !strings.HasPrefix(sdp, "v=0"):
		return fmt.Errorf(`%w: it does not start with "v=0"`, ErrBadSDP)
	case !strings.Contains(sdp, "m=video"):
		return fmt.Errorf("%w: it has no video section", ErrBadSDP)
	}
	return nil
}
