package media

import "sync"

// A DTLS call keys RTCP with its own association (dtls.go), which may
// finish after RTP's, once media has started. RTCP that arrives before
// its keys (read by the handshake's pump, or by the RTCP reader while the
// association is still keying) is held, the newest rtcpKeep packets,
// and processed in order once the keys are installed, as RTP's backlog
// is; it is dropped when the association fails (RTCP never goes plain).
//
// The gate also serializes RTCP processing: the reader and the
// installing goroutine both process under its lock, so the packets go
// through one at a time, in the order they came.
type rtcpGate struct {
	mu    sync.Mutex
	state gateState
	held  []datagram
	// late counts packets held then processed; over those dropped to
	// keep the bound, or because the association failed.
	late, over uint64
}

type gateState int

const (
	gateOpen    gateState = iota // no keys to wait for (SDES, plain), or keyed
	gateWaiting                  // DTLS keying: packets are held
	gateShut                     // the association failed: packets are dropped
)

// rtcpKeep bounds the RTCP held: a peer sends a report every few
// seconds, so a few cover any handshake.
const rtcpKeep = 5

// wait makes the gate hold what passes until open or shut.
func (g *rtcpGate) wait() {
	g.mu.Lock()
	g.state = gateWaiting
	g.mu.Unlock()
}

// pass processes pkt now, or holds a copy of it while the keys are not
// there yet.
func (g *rtcpGate) pass(pkt datagram, process func(datagram)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch g.state {
	case gateOpen:
		process(pkt)
	case gateWaiting:
		g.holdLocked(datagram{b: append([]byte(nil), pkt.b...), from: pkt.from})
	default:
		g.over++
	}
}

func (g *rtcpGate) holdLocked(pkt datagram) {
	if len(g.held) == rtcpKeep {
		g.held = append(g.held[:0], g.held[1:]...)
		g.over++
	}
	g.held = append(g.held, pkt)
}

// hold keeps packets read before the reader started (the pump's), which
// pass on their own copies.
func (g *rtcpGate) hold(pkts ...datagram) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range pkts {
		g.holdLocked(p)
	}
}

// open processes what was held, oldest first, and lets packets through
// from now on.
func (g *rtcpGate) open(process func(datagram)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range g.held {
		process(p)
	}
	g.late += uint64(len(g.held))
	g.held, g.state = nil, gateOpen
}

// shut drops what was held and all that comes later.
func (g *rtcpGate) shut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.over += uint64(len(g.held))
	g.held, g.state = nil, gateShut
}

// counts are the packets held then processed, and those dropped.
func (g *rtcpGate) counts() (late, over uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.late, g.over
}
