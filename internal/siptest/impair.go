package siptest

import (
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Impairment is a seeded loss and jitter pattern for the packets of one
// direction: packet k of the stream meets decision k of the pattern, so
// that two receivers given the same Impairment meet the same network.
type Impairment struct {
	Seed uint64
	// LossPct is the share of packets lost, in percent.
	LossPct float64
	// BurstLen is the mean length of a loss burst in packets: above 1,
	// losses follow a Gilbert-Elliott chain (a good state that loses
	// nothing and a bad one that loses everything); 0 or 1, they are
	// independent.
	BurstLen float64
	// Jitter is the most a packet is held, uniformly from 0: packets
	// held more than the packet time overtake each other.
	Jitter time.Duration
}

// impairPattern draws an Impairment's decisions in order.
type impairPattern struct {
	im   Impairment
	rng  *rand.Rand
	bad  bool
	p, r float64 // Gilbert-Elliott: good→bad and bad→good per packet
}

func newImpairPattern(im Impairment) *impairPattern {
	p := &impairPattern{im: im, rng: rand.New(rand.NewPCG(im.Seed, 0x6a09e667))}
	if im.BurstLen > 1 {
		loss := im.LossPct / 100
		p.r = 1 / im.BurstLen
		p.p = loss * p.r / (1 - loss)
	}
	return p
}

// next is the fate of the next packet: lost, or held for delay.
func (p *impairPattern) next() (lost bool, delay time.Duration) {
	// Both draws are made for every packet, so that loss and jitter
	// stay in step whatever the other decides.
	u, j := p.rng.Float64(), p.rng.Float64()
	if p.im.BurstLen > 1 {
		if p.bad {
			p.bad = u >= p.r
		} else {
			p.bad = u < p.p
		}
		lost = p.bad
	} else {
		lost = u < p.im.LossPct/100
	}
	return lost, time.Duration(j * float64(p.im.Jitter))
}

// RelayEvent is one packet the impairing relay took.
type RelayEvent struct {
	At        time.Time // when it reached the relay
	FromPhone bool
	Lost      bool          // the pattern dropped it
	Held      time.Duration // how long it was held before going on
	Data      []byte
}

// relayShaper applies the impairments of an RTPRelay and logs every
// packet of both directions.
type relayShaper struct {
	toPhone, toBaresip *impairPattern // nil: that direction passes clean
	// cut drops every packet both ways from Cut on: the network gone
	// mid-call.
	cut atomic.Bool
	mu  sync.Mutex
	log []RelayEvent
}

// StartImpairedRelay is StartRTPRelay with the packets toward the phone
// meeting toPhone and those toward baresip meeting toBaresip (a nil
// one passes clean); RelayLog lists every packet either way.
func StartImpairedRelay(t testing.TB, toPhone, toBaresip *Impairment) *RTPRelay {
	t.Helper()
	s := &relayShaper{}
	if toPhone != nil {
		s.toPhone = newImpairPattern(*toPhone)
	}
	if toBaresip != nil {
		s.toBaresip = newImpairPattern(*toBaresip)
	}
	r := startRelay(t, false, s)
	return r
}

// Cut drops every packet of an impairing relay from now on, both ways,
// as a network that went away during the call.
func (r *RTPRelay) Cut() {
	if r.shape == nil {
		panic("siptest: Cut on a relay of StartRTPRelay; use StartImpairedRelay")
	}
	r.shape.cut.Store(true)
}

// RelayLog returns what the impairing relay took so far, in order of
// arrival (nil for a relay of StartRTPRelay).
func (r *RTPRelay) RelayLog() []RelayEvent {
	if r.shape == nil {
		return nil
	}
	r.shape.mu.Lock()
	defer r.shape.mu.Unlock()
	return append([]RelayEvent(nil), r.shape.log...)
}

// pass sends one packet on its way after its pattern's hold, or drops
// it; wg counts the holds in progress so that the relay's stop waits
// for them.
func (s *relayShaper) pass(out *net.UDPConn, data []byte, to *net.UDPAddr, fromPhone bool, wg *sync.WaitGroup) {
	pat := s.toPhone
	if fromPhone {
		pat = s.toBaresip
	}
	ev := RelayEvent{At: time.Now(), FromPhone: fromPhone, Data: append([]byte(nil), data...)}
	if pat != nil {
		s.mu.Lock()
		ev.Lost, ev.Held = pat.next()
		s.mu.Unlock()
	}
	ev.Lost = ev.Lost || s.cut.Load()
	s.mu.Lock()
	s.log = append(s.log, ev)
	s.mu.Unlock()
	switch {
	case ev.Lost:
	case ev.Held <= 0:
		_, _ = out.WriteToUDP(ev.Data, to)
	default:
		wg.Add(1)
		time.AfterFunc(ev.Held, func() {
			defer wg.Done()
			_, _ = out.WriteToUDP(ev.Data, to)
		})
	}
}
