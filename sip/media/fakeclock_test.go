package media

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/audio/codec"
	"github.com/openbpclient/bpclient/sip/dtlssrtp"
	"github.com/openbpclient/bpclient/sip/internal/hangguard"
	"github.com/openbpclient/bpclient/sip/sdes"
	"github.com/openbpclient/bpclient/sip/sdp"
)

// HangGuard bounds the tests' waits for an event (sip's bound).
const HangGuard = hangguard.Timeout

// waitFor waits until cond holds, up to the hang guard.
var waitFor = hangguard.WaitFor

// loopbackPair is a fresh RTP and RTCP socket pair on loopback, closed
// when the test ends.
func loopbackPair(t *testing.T) (rtpConn, rtcpConn *net.UDPConn) {
	t.Helper()
	rtpConn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	rtcpConn, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		rtpConn.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { rtpConn.Close(); rtcpConn.Close() })
	return rtpConn, rtcpConn
}

// clockedMedia is the session of a call with options o on clock, on a
// fresh RTP and RTCP socket pair; nothing runs yet.
func clockedMedia(t *testing.T, clock Clock, o Options) *Session {
	t.Helper()
	rtpC, rtcpC := loopbackPair(t)
	o.Clock = clock
	return New("c1", rtpC, rtcpC, o)
}

// dtlsEnd is what a DTLS call needs of its phone: a certificate and the
// suites it offers.
type dtlsEnd struct {
	dtlsCert *dtlssrtp.Certificate
	cfg      struct{ SRTPSuites []string }
}

// securePhoneMedia is a secure call's session, on a fresh RTP and RTCP
// socket pair, and its DTLS end; nothing runs yet.
func securePhoneMedia(t *testing.T) (*dtlsEnd, *Session) {
	t.Helper()
	cert, err := dtlssrtp.NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	p := &dtlsEnd{dtlsCert: cert}
	p.cfg.SRTPSuites = sdes.DefaultSuites()
	rtpC, rtcpC := loopbackPair(t)
	return p, New("c1", rtpC, rtcpC, Options{})
}

// pcmu is PCMU as a call's local payloads offer it.
func pcmu(t *testing.T) []sdp.Payload {
	t.Helper()
	c, err := codec.Lookup("PCMU", 8000)
	if err != nil {
		t.Fatal(err)
	}
	return sdp.LocalPayloads([]codec.Codec{c})
}

// fakeClock is a Clock that moves only when a test advances it:
// its tickers and frame clocks fire then, in the goroutine that advances.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	tickers []*fakeTicker
	frames  []*fakeFrameClock
}

func newFakeClock(start time.Time) *fakeClock { return &fakeClock{now: start} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTicker(d time.Duration) Ticker {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTicker{period: d, next: c.now.Add(d), ch: make(chan time.Time, 1)}
	c.tickers = append(c.tickers, t)
	return t
}

func (c *fakeClock) newFrameClock(time.Duration) frameClock {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := &fakeFrameClock{wake: make(chan struct{}, 1), took: make(chan struct{}, 1), done: make(chan struct{})}
	c.frames = append(c.frames, f)
	return f
}

// advance moves the time on by d: every ticker due fires (a tick nobody
// took is dropped, as time.Ticker drops it), every frame clock wakes.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	tickers, frames := append([]*fakeTicker(nil), c.tickers...), append([]*fakeFrameClock(nil), c.frames...)
	c.mu.Unlock()
	for _, t := range tickers {
		t.fire(now)
	}
	for _, f := range frames {
		select {
		case f.wake <- struct{}{}:
		default:
		}
	}
}

// step advances by d and waits, up to the hang guard, until every frame
// clock's loop took the wake-up, so that steps do not merge into one.
func (c *fakeClock) step(t *testing.T, d time.Duration) {
	t.Helper()
	c.advance(d)
	c.mu.Lock()
	frames := append([]*fakeFrameClock(nil), c.frames...)
	c.mu.Unlock()
	for _, f := range frames {
		select {
		case <-f.took:
		case <-f.done:
		case <-time.After(HangGuard):
			t.Fatalf("hang guard (%v): the frame loop did not wake", HangGuard)
		}
	}
}

type fakeTicker struct {
	mu      sync.Mutex
	period  time.Duration
	next    time.Time
	stopped bool
	ch      chan time.Time
}

func (t *fakeTicker) C() <-chan time.Time { return t.ch }

func (t *fakeTicker) Stop() {
	t.mu.Lock()
	t.stopped = true
	t.mu.Unlock()
}

func (t *fakeTicker) fire(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for !t.stopped && !t.next.After(now) {
		select {
		case t.ch <- t.next:
		default:
		}
		t.next = t.next.Add(t.period)
	}
}

type fakeFrameClock struct {
	wake chan struct{}
	took chan struct{} // a wake-up was taken (step)
	done chan struct{}
	once sync.Once
}

func (f *fakeFrameClock) wait() error {
	select {
	case <-f.done:
		return net.ErrClosed
	case <-f.wake:
		select {
		case f.took <- struct{}{}:
		default:
		}
		return nil
	}
}

func (f *fakeFrameClock) close() { f.once.Do(func() { close(f.done) }) }
