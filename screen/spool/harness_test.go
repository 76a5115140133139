package spool

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

const (
	testToken   = "Bearer s3cr3t-t0ken-never-logged"
	hangTimeout = 20 * time.Second
)

// received is one upload the test server took.
type received struct {
	recording   string
	segment     int
	body        []byte
	contentType string
	auth        string
	method      string
}

// uploadServer is a real HTTPS server on a fixed loopback port, which a
// test can take away and bring back on the same address and certificate.
type uploadServer struct {
	t      *testing.T
	addr   string
	cert   tls.Certificate
	pool   *x509.CertPool
	status func(r *http.Request) int // nil: 201

	mu   sync.Mutex
	srv  *httptest.Server
	got  []received
	seen chan struct{}
}

func startUploadServer(t *testing.T) *uploadServer {
	t.Helper()
	u := &uploadServer{t: t, seen: make(chan struct{}, 1)}
	u.up("127.0.0.1:0")
	t.Cleanup(u.down)
	return u
}

func (u *uploadServer) up(addr string) {
	u.t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		u.t.Fatalf("listen %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(u.handle))
	srv.Listener.Close()
	srv.Listener = ln
	if u.pool != nil {
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{u.cert}}
	}
	srv.StartTLS()
	u.mu.Lock()
	u.srv, u.addr = srv, ln.Addr().String()
	if u.pool == nil {
		u.cert = srv.TLS.Certificates[0]
		u.pool = x509.NewCertPool()
		u.pool.AddCert(srv.Certificate())
	}
	u.mu.Unlock()
}

// down takes the server away: connections are refused until up.
func (u *uploadServer) down() {
	u.mu.Lock()
	srv := u.srv
	u.srv = nil
	u.mu.Unlock()
	if srv != nil {
		srv.CloseClientConnections()
		srv.Close()
	}
}

func (u *uploadServer) url() string { return "https://127.0.0.1:" + portOf(u.addr) + "/upload?sig=abc" }

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// client trusts the server's certificate, and nothing else.
func (u *uploadServer) client() *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: u.pool}}}
}

func (u *uploadServer) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	status := http.StatusCreated
	if u.status != nil {
		status = u.status(r)
	}
	if status >= 200 && status < 300 {
		n, _ := strconv.Atoi(r.Header.Get(HeaderSegment))
		u.mu.Lock()
		u.got = append(u.got, received{recording: r.Header.Get(HeaderRecordingID), segment: n, body: body,
			contentType: r.Header.Get("Content-Type"), auth: r.Header.Get("Authorization"), method: r.Method})
		u.mu.Unlock()
		select {
		case u.seen <- struct{}{}:
		default:
		}
	}
	w.WriteHeader(status)
}

func (u *uploadServer) received() []received {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]received(nil), u.got...)
}

// waitReceived waits until the server has taken n uploads.
func (u *uploadServer) waitReceived(n int, within time.Duration) []received {
	u.t.Helper()
	deadline := time.After(within)
	for {
		if got := u.received(); len(got) >= n {
			return got
		}
		select {
		case <-u.seen:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			u.t.Fatalf("the server took %d uploads, want %d", len(u.received()), n)
		}
	}
}

// eventLog keeps a spool's events.
type eventLog struct {
	mu    sync.Mutex
	evs   []Event
	heard chan struct{}
}

func newEventLog() *eventLog { return &eventLog{heard: make(chan struct{}, 1)} }

func (l *eventLog) add(e Event) {
	l.mu.Lock()
	l.evs = append(l.evs, e)
	l.mu.Unlock()
	select {
	case l.heard <- struct{}{}:
	default:
	}
}

func (l *eventLog) all() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.evs...)
}

// await waits for the n-th event of kind (1-based) and returns it.
func (l *eventLog) await(t *testing.T, kind EventKind, n int) Event {
	t.Helper()
	deadline := time.After(hangTimeout)
	for {
		seen := 0
		for _, e := range l.all() {
			if e.Kind == kind {
				if seen++; seen == n {
					return e
				}
			}
		}
		select {
		case <-l.heard:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no %s event #%d; events: %+v", kind, n, l.all())
		}
	}
}

func allowLoopback(host string) bool { return host == "127.0.0.1" }

// segmentData is a recognisable body for segment n.
func segmentData(n, size int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("seg%04d|", n)), size/8+1)[:size]
}

func testLogger(buf *syncBuffer) zerolog.Logger { return zerolog.New(buf).Level(zerolog.DebugLevel) }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
