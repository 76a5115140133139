package audio

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
)

// pulseFrame builds one frame of the native protocol.
func pulseFrame(channel uint32, payload []byte) []byte {
	b := make([]byte, pulseDescriptorSize, pulseDescriptorSize+len(payload))
	binary.BigEndian.PutUint32(b[0:], uint32(len(payload)))
	binary.BigEndian.PutUint32(b[4:], channel)
	return append(b, payload...)
}

// pulseCommandFrame builds a command: 'L' op 'L' tag, then 'L' u32s.
func pulseCommandFrame(op uint32, args ...uint32) []byte {
	p := []byte{'L', 0, 0, 0, 0, 'L', 0xff, 0xff, 0xff, 0xff}
	binary.BigEndian.PutUint32(p[1:], op)
	for _, a := range args {
		p = append(p, 'L', 0, 0, 0, 0)
		binary.BigEndian.PutUint32(p[len(p)-4:], a)
	}
	return pulseFrame(pulseControlChannel, p)
}

// The demux hands audio and requests to their handlers, passes the
// commands the library knows on byte for byte, and keeps back those it
// does not know (which it would print).
func TestPulseDemuxSortsFrames(t *testing.T) {
	reply := pulseCommandFrame(2, 7)     // a reply
	event := pulseCommandFrame(66, 1, 3) // a subscribe event
	var wire bytes.Buffer
	wire.Write(pulseFrame(4, []byte{1, 2, 3, 4}))
	wire.Write(reply)
	wire.Write(pulseCommandFrame(pulseOpRequest, 5, 320))
	wire.Write(pulseCommandFrame(95, 1, 2, 3)) // record buffer attr changed: unknown to the library
	wire.Write(event)
	var data [][]byte
	var reqs [][2]uint32
	var dropped []uint32
	var closed error
	d := newPulseDemux(&wire)
	d.onData = func(ch uint32, b []byte) { data = append(data, append([]byte{byte(ch)}, b...)) }
	d.onRequest = func(ch, n uint32) { reqs = append(reqs, [2]uint32{ch, n}) }
	d.onDropped = func(op uint32) { dropped = append(dropped, op) }
	d.onClosed = func(err error) { closed = err }
	got, err := io.ReadAll(d)
	if err != nil {
		t.Fatal(err)
	}
	if want := append(append([]byte{}, reply...), event...); !bytes.Equal(got, want) {
		t.Errorf("the library read %x, want %x", got, want)
	}
	if len(data) != 1 || !bytes.Equal(data[0], []byte{4, 1, 2, 3, 4}) {
		t.Errorf("data %v", data)
	}
	if len(reqs) != 1 || reqs[0] != [2]uint32{5, 320} {
		t.Errorf("requests %v", reqs)
	}
	if len(dropped) != 1 || dropped[0] != 95 {
		t.Errorf("dropped %v", dropped)
	}
	if closed != io.EOF {
		t.Errorf("closed with %v, want EOF", closed)
	}
}

func TestPulseDemuxRefusesHugeFrames(t *testing.T) {
	b := make([]byte, pulseDescriptorSize)
	binary.BigEndian.PutUint32(b, pulseMaxFrame+1)
	if _, err := newPulseDemux(bytes.NewReader(b)).Read(make([]byte, 10)); err == nil {
		t.Fatal("took a frame larger than the protocol allows")
	}
}

// loopReader serves the same bytes forever.
type loopReader struct {
	b   []byte
	off int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.b[l.off:])
	l.off = (l.off + n) % len(l.b)
	return n, nil
}

// The per-fragment traffic (audio, requests) allocates nothing.
func TestPulseDemuxNoAllocationPerFrame(t *testing.T) {
	var wire []byte
	wire = append(wire, pulseFrame(1, make([]byte, 320))...)
	wire = append(wire, pulseCommandFrame(pulseOpRequest, 2, 322)...)
	d := newPulseDemux(&loopReader{b: wire})
	var samples, asked int
	d.onData = func(_ uint32, b []byte) { samples += len(b) / 2 }
	d.onRequest = func(_, n uint32) { asked += int(n) }
	allocs := testing.AllocsPerRun(500, func() {
		if err := d.next(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 || samples == 0 || asked == 0 {
		t.Fatalf("%v allocations per frame (%d samples, %d bytes asked)", allocs, samples, asked)
	}
}

func FuzzPulseDemux(f *testing.F) {
	f.Add(append(pulseFrame(3, []byte{1, 2}), pulseCommandFrame(pulseOpRequest, 1, 2)...))
	f.Add(pulseCommandFrame(2, 1))
	f.Add(pulseCommandFrame(95))
	f.Add(pulseFrame(pulseControlChannel, []byte{'L', 0, 0, 0}))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := newPulseDemux(bytes.NewReader(b))
		d.onData = func(uint32, []byte) {}
		d.onRequest = func(uint32, uint32) {}
		out, _ := io.ReadAll(d)
		// What reaches the library is whole known commands only.
		for len(out) > 0 {
			if len(out) < pulseDescriptorSize {
				t.Fatalf("a partial descriptor reached the library: %x", out)
			}
			n := int(binary.BigEndian.Uint32(out))
			if binary.BigEndian.Uint32(out[4:]) != pulseControlChannel || len(out) < pulseDescriptorSize+n {
				t.Fatalf("not a whole command: %x", out)
			}
			op, ok := pulseCommand(out[pulseDescriptorSize : pulseDescriptorSize+n])
			if !ok || !pulseKnownOp(op) {
				t.Fatalf("command %d (%v) reached the library", op, ok)
			}
			out = out[pulseDescriptorSize+n:]
		}
	})
}

func TestParsePulseServer(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []pulseAddr
	}{
		{"unix:/run/user/1000/pulse/native", []pulseAddr{{"unix", "/run/user/1000/pulse/native"}}},
		{"/tmp/sock", []pulseAddr{{"unix", "/tmp/sock"}}},
		{"tcp:host:4714 tcp6:[::1] tcp4:127.0.0.1", []pulseAddr{{"tcp", "host:4714"}, {"tcp6", "[::1]:4713"}, {"tcp4", "127.0.0.1:4713"}}},
		{"{otherhost}unix:/x {here}unix:/y", []pulseAddr{{"unix", "/y"}}},
		{"soundbox", []pulseAddr{{"tcp", "soundbox:4713"}}},
		{"unix: tcp: {broken", nil},
	} {
		got := parsePulseServer(c.in, "here")
		if len(got) != len(c.want) {
			t.Errorf("%q: %v, want %v", c.in, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: %v, want %v", c.in, got, c.want)
			}
		}
	}
	if got := pulseServers("", "/run/user/7", ""); len(got) != 1 || got[0] != (pulseAddr{"unix", "/run/user/7/pulse/native"}) {
		t.Errorf("default: %v", got)
	}
}

func FuzzParsePulseServer(f *testing.F) {
	f.Add("unix:/a tcp:b:1 {h}tcp6:[::1]:2 c")
	f.Fuzz(func(t *testing.T, s string) {
		for _, a := range parsePulseServer(s, "h") {
			if a.addr == "" || (a.network != "unix" && a.network != "tcp" && a.network != "tcp4" && a.network != "tcp6") {
				t.Fatalf("%q gave %+v", s, a)
			}
		}
	})
}
