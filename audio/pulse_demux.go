package audio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The PulseAudio native protocol frames everything the same way: a
// descriptor of five big-endian uint32 (payload length, channel, offset
// high and low, flags) and the payload. Channel 0xFFFFFFFF carries
// commands (a tagstruct: 'L' command 'L' tag ...); any other channel is a
// stream's audio.
const (
	pulseDescriptorSize = 20
	pulseControlChannel = 0xFFFFFFFF
	// pulseMaxFrame is the largest payload taken (PulseAudio's own limit
	// for a frame): a corrupt length must not make us allocate gigabytes.
	pulseMaxFrame = 16 << 20

	pulseOpRequest = 61 // server -> client: a playback stream wants bytes
)

// pulseKnownOps are the server-to-client commands proto.Client's reader
// decodes; it prints any other one to stdout (fmt.Println), so the demux
// drops those before it sees them.
var pulseKnownOps = [...]uint32{
	0,  // error
	2,  // reply
	62, // overflow
	63, // underflow
	64, // playback stream killed
	65, // record stream killed
	66, // subscribe event
	76, // playback stream suspended
	77, // record stream suspended
	78, // playback stream moved
	79, // record stream moved
	86, // started
	91, // client event
	92, // playback stream event
	93, // record stream event
	94, // playback buffer attr changed
}

func pulseKnownOp(op uint32) bool {
	for _, k := range pulseKnownOps {
		if k == op {
			return true
		}
	}
	return false
}

var errPulseFrame = errors.New("pulse: malformed frame")

// pulseDemux sits between the server's socket and proto.Client's reader,
// which allocates a fresh buffer for about every kilobyte it reads and a
// message for every command: audio (data frames) and the playback
// streams' requests for more, the per-fragment traffic, are taken off the
// wire here into buffers that are reused, and only the other commands
// (replies, events) go on to the library. It also keeps from the library
// the commands its reader does not know, which it would print.
//
// Read is called by the library's read loop only; the handlers run on
// it and must not wait for a reply from the server.
type pulseDemux struct {
	r   *bufio.Reader
	hdr [pulseDescriptorSize]byte

	ctl     []byte // the buffer of the last control frame
	pending []byte // what of it the library has yet to read
	data    []byte // the buffer of the last data frame

	// onData receives a stream's audio (valid during the call).
	onData func(channel uint32, data []byte)
	// onRequest receives a playback stream's request for n bytes.
	onRequest func(channel uint32, n uint32)
	// onDropped hears of a command kept from the library (optional).
	onDropped func(op uint32)
	// onClosed hears of the first read error: the connection is over
	// (the library tells only of a clean end).
	onClosed func(error)
	closed   bool
}

func newPulseDemux(r io.Reader) *pulseDemux {
	return &pulseDemux{r: bufio.NewReaderSize(r, 16<<10), ctl: make([]byte, 0, 1024), data: make([]byte, 0, 4096)}
}

// Read hands the library the next control frames, byte for byte.
func (d *pulseDemux) Read(p []byte) (int, error) {
	for len(d.pending) == 0 {
		if err := d.next(); err != nil {
			if !d.closed && d.onClosed != nil {
				d.closed = true
				d.onClosed(err)
			}
			return 0, err
		}
	}
	n := copy(p, d.pending)
	d.pending = d.pending[n:]
	return n, nil
}

// next reads one frame and dispatches it.
func (d *pulseDemux) next() error {
	if _, err := io.ReadFull(d.r, d.hdr[:]); err != nil {
		return err
	}
	length := binary.BigEndian.Uint32(d.hdr[0:])
	channel := binary.BigEndian.Uint32(d.hdr[4:])
	if length > pulseMaxFrame {
		return fmt.Errorf("%w: %d-byte payload", errPulseFrame, length)
	}
	if channel != pulseControlChannel {
		d.data = pulseGrow(d.data, int(length))
		if _, err := io.ReadFull(d.r, d.data); err != nil {
			return err
		}
		if d.onData != nil {
			d.onData(channel, d.data)
		}
		return nil
	}
	d.ctl = pulseGrow(d.ctl, pulseDescriptorSize+int(length))
	copy(d.ctl, d.hdr[:])
	if _, err := io.ReadFull(d.r, d.ctl[pulseDescriptorSize:]); err != nil {
		return err
	}
	payload := d.ctl[pulseDescriptorSize:]
	op, ok := pulseCommand(payload)
	switch {
	case !ok:
		return fmt.Errorf("%w: a command without its header", errPulseFrame)
	case op == pulseOpRequest:
		ch, n, ok := pulseParseRequest(payload)
		if !ok {
			return fmt.Errorf("%w: a short request", errPulseFrame)
		}
		if d.onRequest != nil {
			d.onRequest(ch, n)
		}
	case !pulseKnownOp(op):
		if d.onDropped != nil {
			d.onDropped(op)
		}
	default:
		d.pending = d.ctl
	}
	return nil
}

// pulseGrow returns b resized to n, reusing its array when it is large enough.
func pulseGrow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// pulseCommand reads a command's number: the tagstruct starts with
// 'L' command 'L' tag.
func pulseCommand(p []byte) (uint32, bool) {
	if len(p) < 10 || p[0] != 'L' || p[5] != 'L' {
		return 0, false
	}
	return binary.BigEndian.Uint32(p[1:]), true
}

// pulseParseRequest reads a REQUEST command: 'L' 61 'L' tag 'L' channel
// 'L' bytes.
func pulseParseRequest(p []byte) (channel, n uint32, ok bool) {
	if len(p) < 20 || p[10] != 'L' || p[15] != 'L' {
		return 0, 0, false
	}
	return binary.BigEndian.Uint32(p[11:]), binary.BigEndian.Uint32(p[16:]), true
}
