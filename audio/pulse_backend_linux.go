package audio

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jfreymuth/pulse/proto"
)

// pulseHostAPI is the host API part of this backend's device ids. It is
// the protocol's name, not the server's, so the ids stay when a desktop
// moves from PulseAudio to PipeWire (both name ALSA cards alike).
const pulseHostAPI = "PulseAudio"

// pulseBackend speaks the PulseAudio native protocol itself (pure Go,
// github.com/jfreymuth/pulse/proto): PulseAudio and pipewire-pulse both
// serve it. Devices are the server's sinks and sources, kept current by
// its events (no polling, no child process); streams run at the codec's
// rate on the server's timing, in 20 ms fragments.
type pulseBackend struct {
	addrs []pulseAddr
	quit  chan struct{}
	done  chan struct{}

	mu       sync.Mutex
	conn     *pulseConn
	list     DeviceList
	watchers map[int]func(DeviceList)
	nextW    int
	closed   bool
}

func newPulseBackend(addrs []pulseAddr) (*pulseBackend, error) {
	c, err := dialPulse(addrs)
	if err != nil {
		return nil, err
	}
	list, err := fetchPulseDevices(c)
	if err != nil {
		c.close()
		return nil, fmt.Errorf("list devices: %w", err)
	}
	b := &pulseBackend{addrs: addrs, conn: c, list: list, watchers: map[int]func(DeviceList){},
		quit: make(chan struct{}), done: make(chan struct{})}
	go b.run()
	return b, nil
}

// server describes the server this backend talks to.
func (b *pulseBackend) server() (name string, addr pulseAddr) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.conn.server, b.conn.addr
}

func (b *pulseBackend) current() *pulseConn {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.conn
}

func (b *pulseBackend) devices() (DeviceList, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return DeviceList{}, ErrClosed
	}
	return b.list, nil
}

// reload asks the server again; the events keep the list current anyway.
func (b *pulseBackend) reload() error {
	c := b.current()
	list, err := fetchPulseDevices(c)
	if err != nil {
		return fmt.Errorf("audio: list devices: %w", err)
	}
	b.setList(list)
	return nil
}

// watch calls fn with the device list now and after every change, from
// the backend's event loop, until stop.
func (b *pulseBackend) watch(fn func(DeviceList)) (stop func()) {
	b.mu.Lock()
	id := b.nextW
	b.nextW++
	b.watchers[id] = fn
	list := b.list
	b.mu.Unlock()
	fn(list)
	return func() {
		b.mu.Lock()
		delete(b.watchers, id)
		b.mu.Unlock()
	}
}

func (b *pulseBackend) setList(list DeviceList) {
	b.mu.Lock()
	changed := !b.list.Equal(list)
	b.list = list
	var fns []func(DeviceList)
	if changed {
		for _, fn := range b.watchers {
			fns = append(fns, fn)
		}
	}
	b.mu.Unlock()
	for _, fn := range fns {
		fn(list)
	}
}

func (b *pulseBackend) close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	c := b.conn
	b.mu.Unlock()
	// Closing the connection first ends a request the event loop waits
	// for; a reconnection it makes meanwhile sees closed and ends too.
	close(b.quit)
	c.close()
	<-b.done
	return nil
}

// run is the backend's event loop: it refreshes the device list when the
// server says something changed, decides what a killed or moved stream
// means, and reconnects when the server goes away (a restart).
func (b *pulseBackend) run() {
	defer close(b.done)
	for {
		c := b.current()
		select {
		case <-b.quit:
			return
		case <-c.kick:
		}
		if c.failed() != nil {
			if !b.reconnect(c) {
				return
			}
			continue
		}
		events := c.takeEvents()
		list, err := fetchPulseDevices(c)
		if err != nil {
			continue // the connection failing kicks again
		}
		b.setList(list)
		for _, ev := range events {
			streamFate(ev, list)
		}
	}
}

// streamFate tells a stream what the server did to it, in the light of
// the device list read after the event.
func streamFate(ev pulseStreamEvent, list DeviceList) {
	st := ev.st
	if st.aborted.Load() {
		return
	}
	_, listed := list.Find(st.deviceID(), st.input)
	switch {
	case ev.killed:
		reason := ReasonError
		if !listed {
			reason = ReasonRemoved
		}
		st.event(streamEvent{gone: true, reason: reason})
	case pulseID(ev.to) == st.deviceID():
	case !listed:
		// Our device went and the server put the stream somewhere of
		// its choosing (PipeWire: a sink's monitor): the stream belongs
		// on the default device.
		st.event(streamEvent{gone: true, reason: ReasonRemoved})
	default:
		// Moved on purpose (a volume control, the session manager): it
		// stays where it was put.
		st.setDevice(pulseID(ev.to))
		st.event(streamEvent{to: pulseID(ev.to)})
	}
}

// pulseRedial is how often a lost server is tried again.
const pulseRedial = 500 * time.Millisecond

// reconnect replaces a lost connection; its streams are gone, and their
// supervisors reopen them once it is back. False when the backend
// closes first.
func (b *pulseBackend) reconnect(old *pulseConn) bool {
	old.mu.Lock()
	var streams []*pulseStream
	for _, tab := range []map[uint32]*pulseStream{old.playback, old.record} {
		for _, st := range tab {
			streams = append(streams, st)
		}
	}
	old.mu.Unlock()
	for _, st := range streams {
		st.event(streamEvent{gone: true, reason: ReasonError})
	}
	old.conn.Close()
	t := time.NewTicker(pulseRedial)
	defer t.Stop()
	for {
		select {
		case <-b.quit:
			return false
		case <-t.C:
		}
		c, err := dialPulse(b.addrs)
		if err != nil {
			continue
		}
		list, err := fetchPulseDevices(c)
		if err != nil {
			c.close()
			continue
		}
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			c.close()
			return false
		}
		b.conn = c
		b.mu.Unlock()
		b.setList(list)
		return true
	}
}

// pulseID is the device id of a sink or source name.
func pulseID(name string) string { return DeviceID(pulseHostAPI, name, 0) }

// pulseDeviceName is the sink or source name in an id ("" for the
// default). The ids PortAudio gave the default devices through ALSA
// (a selection saved before this backend) mean the default here too.
func pulseDeviceName(id string) (string, error) {
	switch id {
	case "", "ALSA:default#0", "ALSA:pulse#0", "ALSA:pipewire#0", "ALSA:sysdefault#0":
		return "", nil
	}
	name, ok := strings.CutPrefix(id, pulseHostAPI+":")
	if !ok {
		return "", fmt.Errorf("%w: %q is not a PulseAudio device id", ErrNoDevice, id)
	}
	name, ok = strings.CutSuffix(name, "#0")
	if !ok || name == "" {
		return "", fmt.Errorf("%w: %q is not a PulseAudio device id", ErrNoDevice, id)
	}
	return name, nil
}

// fetchPulseDevices lists the sinks (outputs) and sources (inputs) with
// the server's defaults marked. Monitor sources (what a sink plays) are
// listed after the real inputs, marked Monitor: they are how audio from
// another program reaches a call, and a test rig's microphone; a page can
// hide them.
func fetchPulseDevices(c *pulseConn) (DeviceList, error) {
	var info proto.GetServerInfoReply
	if err := c.c.Request(&proto.GetServerInfo{}, &info); err != nil {
		return DeviceList{}, err
	}
	var sinks proto.GetSinkInfoListReply
	if err := c.c.Request(&proto.GetSinkInfoList{}, &sinks); err != nil {
		return DeviceList{}, err
	}
	var sources proto.GetSourceInfoListReply
	if err := c.c.Request(&proto.GetSourceInfoList{}, &sources); err != nil {
		return DeviceList{}, err
	}
	l := DeviceList{HostAPIs: []string{pulseHostAPI}, Inputs: []Device{}, Outputs: []Device{}}
	for _, s := range sinks {
		l.Outputs = append(l.Outputs, pulseDevice(s.SinkName, pulseDescription(s.Properties, s.SinkName), s.SampleSpec,
			s.SinkName == info.DefaultSinkName, false))
	}
	var monitors []Device
	for _, s := range sources {
		monitor := s.MonitorSourceIndex != proto.Undefined
		d := pulseDevice(s.SourceName, pulseDescription(s.Properties, s.SourceName), s.SampleSpec,
			s.SourceName == info.DefaultSourceName, monitor)
		if monitor {
			monitors = append(monitors, d)
		} else {
			l.Inputs = append(l.Inputs, d)
		}
	}
	l.Inputs = append(l.Inputs, monitors...)
	return l, nil
}

func pulseDevice(name, desc string, spec proto.SampleSpec, def, monitor bool) Device {
	return Device{ID: pulseID(name), Name: desc, HostAPI: pulseHostAPI, Channels: int(spec.Channels),
		Default: def, DefaultRate: float64(spec.Rate), Monitor: monitor}
}

// pulseDescription is what a volume control shows for a device.
func pulseDescription(props proto.PropList, name string) string {
	if d, ok := props["device.description"]; ok {
		if s := d.String(); s != "<not a string>" && s != "" {
			return s
		}
	}
	return name
}

// pulseStreamName labels our streams in a volume control.
const pulseStreamName = "bpclient"

// pulsePlaybackTarget is a playback stream's target latency (tlength):
// three frames, and at least 60 ms. With ADJUST_LATENCY the server gives
// about a third of it to the device's own buffer and keeps two requests'
// worth of slack, so one late answer does not underrun. libpulse lets
// PULSE_LATENCY_MSEC replace it; this client does not: the stream's own
// queue holds two frames, so a larger request than the target's would
// be answered with silence, and a smaller target would starve
// (TestAudioTestNoStallAtAnyLatency).
func pulsePlaybackTarget(frame time.Duration) time.Duration {
	return max(3*frame, 60*time.Millisecond)
}

func (b *pulseBackend) open(id string, input bool, rate, frameSamples int, cb callback) (rawStream, error) {
	name, err := pulseDeviceName(id)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	closed, c := b.closed, b.conn
	b.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if err := c.failed(); err != nil {
		return nil, fmt.Errorf("audio: the sound server at %s is gone: %w", c.addr, err)
	}
	frameBytes := uint32(2 * frameSamples)
	frame := time.Duration(frameSamples) * time.Second / time.Duration(rate)
	spec := proto.SampleSpec{Format: proto.FormatInt16LE, Channels: 1, Rate: uint32(rate)}
	props := proto.PropList{"media.name": proto.PropListString(pulseStreamName)}
	st := &pulseStream{c: c, input: input, sr: rate, cb: cb, carry: -1}
	var devName string
	var missing uint32
	if input {
		req := proto.CreateRecordStream{
			SampleSpec: spec, ChannelMap: proto.ChannelMap{proto.ChannelMono},
			SourceIndex: proto.Undefined, SourceName: name,
			BufferMaxLength: proto.Undefined, BufferFragSize: frameBytes,
			AdjustLatency: true, Properties: props, DirectOnInputIndex: proto.Undefined,
			ChannelVolumes: proto.ChannelVolumes{uint32(proto.VolumeNorm)},
		}
		var rep proto.CreateRecordStreamReply
		if err := c.c.Request(&req, &rep); err != nil {
			return nil, pulseOpenError(id, input, err)
		}
		st.index, devName = rep.StreamIndex, rep.SourceName
		// Packets are a fragment, or more after a scheduling hiccup:
		// captured converts them in chunks of this.
		st.pcm = make([]int16, 4*frameSamples)
	} else {
		target := uint32(pulsePlaybackTarget(frame) * time.Duration(rate) / time.Second * 2)
		req := proto.CreatePlaybackStream{
			SampleSpec: spec, ChannelMap: proto.ChannelMap{proto.ChannelMono},
			SinkIndex: proto.Undefined, SinkName: name,
			BufferMaxLength: proto.Undefined, BufferTargetLength: target,
			BufferPrebufferLength: proto.Undefined, BufferMinimumRequest: frameBytes,
			SyncID:         c.nextSyncID(),
			ChannelVolumes: proto.ChannelVolumes{uint32(proto.VolumeNorm)},
			AdjustLatency:  true, Properties: props,
		}
		var rep proto.CreatePlaybackStreamReply
		if err := c.c.Request(&req, &rep); err != nil {
			return nil, pulseOpenError(id, input, err)
		}
		st.index, devName, missing = rep.StreamIndex, rep.SinkName, rep.Missing
		st.pcm = make([]int16, max(4*frameSamples, int(target/2)))
		st.wire = make([]byte, 2*len(st.pcm))
	}
	st.setDevice(pulseID(devName))
	c.mu.Lock()
	c.streamsOf(input)[st.index] = st
	c.mu.Unlock()
	if !input {
		// The first request comes with the reply: the buffer's worth
		// the server wants before it starts.
		st.fill(int(missing))
	}
	return st, nil
}

func pulseOpenError(id string, input bool, err error) error {
	if id == "" {
		id = "the default " + direction(input)
	}
	if errors.Is(err, proto.ErrNoSuchEntity) {
		return fmt.Errorf("%w: %s %s", ErrNoDevice, direction(input), id)
	}
	return fmt.Errorf("audio: open %s %s: %w", direction(input), id, err)
}
