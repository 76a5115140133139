package audio

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jfreymuth/pulse/proto"
)

// pulseConn is one connection to a PulseAudio-protocol server: commands,
// events and every stream's audio share it. proto.Client reads it on a
// goroutine of its own (through pulseDemux), which ends when the
// connection closes.
type pulseConn struct {
	addr   pulseAddr
	conn   net.Conn
	c      *proto.Client
	server string // "pulseaudio 16.1", "PipeWire 0.3.65 via pipewire-pulse"

	// kick wakes the backend's event loop: a subscription event, a stream
	// killed or moved, the connection lost.
	kick chan struct{}

	// The streams by channel (their index): playback and record streams
	// count apart, so an index names one of each.
	mu       sync.Mutex
	playback map[uint32]*pulseStream
	record   map[uint32]*pulseStream
	events   []pulseStreamEvent // for the event loop
	syncIDs  uint32             // the last playback stream's sync group
	err      error              // why the connection ended
}

// pulseStreamEvent is a stream the server killed or moved.
type pulseStreamEvent struct {
	st     *pulseStream
	killed bool
	to     string // moved: the device's name now
}

// pulseRequestTimeout bounds one command's round trip. A stream's
// creation on a loaded PipeWire takes some hundred milliseconds.
const pulseRequestTimeout = 5 * time.Second

// pulseDialTimeout bounds reaching the socket; a local server answers in
// microseconds, and a missing one fails at once.
const pulseDialTimeout = 2 * time.Second

// dialPulse connects and authenticates to the first of addrs that
// answers, names this client and subscribes to device events.
func dialPulse(addrs []pulseAddr) (*pulseConn, error) {
	if len(addrs) == 0 {
		return nil, errors.New("no PulseAudio server address (PULSE_SERVER and XDG_RUNTIME_DIR are unset)")
	}
	var errs []error
	for _, a := range addrs {
		c, err := dialPulseAddr(a)
		if err == nil {
			return c, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", a, err))
	}
	return nil, errors.Join(errs...)
}

func dialPulseAddr(a pulseAddr) (*pulseConn, error) {
	nc, err := net.DialTimeout(a.network, a.addr, pulseDialTimeout)
	if err != nil {
		return nil, err
	}
	c := &pulseConn{addr: a, conn: nc, kick: make(chan struct{}, 1), playback: map[uint32]*pulseStream{}, record: map[uint32]*pulseStream{}}
	var sock io.ReadWriter = nc
	if s, err := newPulseSocket(nc); err == nil {
		sock = s
	}
	d := newPulseDemux(sock)
	d.onData, d.onRequest, d.onClosed = c.data, c.request, c.lost
	c.c = &proto.Client{Callback: c.message}
	c.c.SetTimeout(pulseRequestTimeout)
	c.c.Open(pulseRW{d, sock})
	if err := c.handshake(); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// pulseRW reads through the demux and writes straight to the socket.
type pulseRW struct {
	r *pulseDemux
	w io.Writer
}

func (rw pulseRW) Read(p []byte) (int, error)  { return rw.r.Read(p) }
func (rw pulseRW) Write(p []byte) (int, error) { return rw.w.Write(p) }

func (c *pulseConn) handshake() error {
	var auth proto.AuthReply
	if err := c.c.Request(&proto.Auth{Version: c.c.Version(), Cookie: pulseCookie()}, &auth); err != nil {
		return fmt.Errorf("authenticate: %w", err)
	}
	c.c.SetVersion(auth.Version)
	props := proto.PropList{
		"application.name":       proto.PropListString("bpclient"),
		"application.id":         proto.PropListString("org.openbpclient.bpclient"),
		"application.process.id": proto.PropListString(strconv.Itoa(os.Getpid())),
	}
	if err := c.c.Request(&proto.SetClientName{Props: props}, &proto.SetClientNameReply{}); err != nil {
		return fmt.Errorf("set client name: %w", err)
	}
	var info proto.GetServerInfoReply
	if err := c.c.Request(&proto.GetServerInfo{}, &info); err != nil {
		return fmt.Errorf("server info: %w", err)
	}
	c.server = describePulseServer(info.PackageName, info.PackageVersion)
	mask := proto.SubscriptionMaskSink | proto.SubscriptionMaskSource | proto.SubscriptionMaskServer
	if err := c.c.Request(&proto.Subscribe{Mask: mask}, nil); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	return nil
}

// describePulseServer names the server as support staff know it:
// pipewire-pulse calls itself "PulseAudio (on PipeWire 0.3.65)".
func describePulseServer(name, version string) string {
	if _, rest, ok := strings.Cut(name, "on PipeWire "); ok {
		return "PipeWire " + strings.TrimSuffix(rest, ")") + " via pipewire-pulse"
	}
	return strings.TrimSpace(name + " " + version)
}

// pulseCookie is the authentication cookie where libpulse looks for it;
// a server started with auth-anonymous (or trusting our uid on its unix
// socket) takes any, so a missing one is sent as zeros. It is a secret:
// it never reaches a log.
func pulseCookie() []byte {
	var paths []string
	if p := os.Getenv("PULSE_COOKIE"); p != "" {
		paths = append(paths, p)
	}
	if cfg := os.Getenv("XDG_CONFIG_HOME"); cfg != "" {
		paths = append(paths, filepath.Join(cfg, "pulse", "cookie"))
	}
	if home := os.Getenv("HOME"); home != "" {
		paths = append(paths, filepath.Join(home, ".config", "pulse", "cookie"), filepath.Join(home, ".pulse-cookie"))
	}
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && len(b) == 256 {
			return b
		}
	}
	return make([]byte, 256)
}

// message receives what the library decoded, on its read loop: nothing
// here may wait for the server.
func (c *pulseConn) message(msg any) {
	switch m := msg.(type) {
	case *proto.SubscribeEvent:
		signal(c.kick)
	case *proto.PlaybackStreamKilled:
		c.streamEvent(false, m.StreamIndex, pulseStreamEvent{killed: true})
	case *proto.RecordStreamKilled:
		c.streamEvent(true, m.StreamIndex, pulseStreamEvent{killed: true})
	case *proto.PlaybackStreamMoved:
		c.streamEvent(false, m.StreamIndex, pulseStreamEvent{to: m.DestName})
	case *proto.RecordStreamMoved:
		c.streamEvent(true, m.StreamIndex, pulseStreamEvent{to: m.DestName})
	case *proto.ConnectionClosed:
		c.lost(errors.New("the sound server closed the connection"))
	}
}

func (c *pulseConn) streamEvent(input bool, index uint32, ev pulseStreamEvent) {
	st := c.stream(input, index)
	if st != nil {
		c.mu.Lock()
		ev.st = st
		c.events = append(c.events, ev)
		c.mu.Unlock()
	}
	if st != nil {
		if ev.killed {
			st.killed.Store(true)
		}
		signal(c.kick)
	}
}

// nextSyncID gives a playback stream a sync group of its own: PulseAudio
// ties the streams of a connection that share one to the same sink (and
// refuses one on another sink), as libpulse's distinct ids avoid.
func (c *pulseConn) nextSyncID() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.syncIDs++
	return c.syncIDs
}

// takeEvents returns the stream events that waited.
func (c *pulseConn) takeEvents() []pulseStreamEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	ev := c.events
	c.events = nil
	return ev
}

// lost records the end of the connection (first cause wins).
func (c *pulseConn) lost(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	c.mu.Unlock()
	signal(c.kick)
}

// failed returns why the connection ended, or nil while it is up.
func (c *pulseConn) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// streamsOf is the table of record (input) or playback streams; hold mu.
func (c *pulseConn) streamsOf(input bool) map[uint32]*pulseStream {
	if input {
		return c.record
	}
	return c.playback
}

func (c *pulseConn) stream(input bool, index uint32) *pulseStream {
	c.mu.Lock()
	st := c.streamsOf(input)[index]
	c.mu.Unlock()
	return st
}

// data is a record stream's audio, on the read loop (the server sends
// audio only to record streams).
func (c *pulseConn) data(channel uint32, b []byte) {
	if st := c.stream(true, channel); st != nil {
		st.captured(b)
	}
}

// request is a playback stream asking for n bytes, on the read loop.
func (c *pulseConn) request(channel uint32, n uint32) {
	if st := c.stream(false, channel); st != nil {
		st.fill(int(n))
	}
}

func (c *pulseConn) close() {
	c.lost(ErrClosed)
	c.conn.Close()
}
