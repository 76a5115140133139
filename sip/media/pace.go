package media

import "sync"

// pacer sends a FrameSource's frames as the device hands them over, the
// way a phone that reads its device and sends what it read does: no
// frame waits for the call's 20 ms clock (0-20 ms, 10 on average, on
// every frame). The clock still counts the frames due, and it fills in
// when the device falls behind it: a frame more than one period late
// has a concealment frame sent in its place (the last frame again, then
// at half its level, then silence), so the RTP timestamps go on 160 (a
// frame) per packet whatever the device does.
//
// A fill is a frame the device did not give; when the device's late
// frames come after all (a stall's backlog, handed over at once), one
// of them goes unsent for each fill, so the far end's buffer, which
// keeps what it is given, is not left a frame deeper per stall. Late
// frames that come one at a time are paid back once the device has been
// ahead of the clock for a whole window (a frame fewer then cannot make
// it fall behind), with the next frame no louder than the usual.
//
// Frames more than pacerAhead ahead of the clock wait in the source for
// the clock's turns: a device that runs fast is held to the call's
// rate, and the frames that stood a whole window go.
//
// Its methods are called from the source's goroutine (ready) and the
// media clock's (tick); mu orders them, and the sender is called only
// with it held.
type pacer struct {
	src  FrameSource
	send func(take func(pcm []int16))

	mu     sync.Mutex
	closed bool
	// started: a frame was taken; the first take, on the clock's first
	// turn, drops the backlog but for the newest frame.
	started bool
	// ahead is how many frames the sends may run ahead of the clock
	// (pacerAhead).
	ahead int
	// ticks are the clock's frame periods so far, slots the frames sent
	// (the device's and the fills).
	ticks, slots int
	buf, last    []int16 // the frame taken; the last the device gave
	lastN        int
	fills        int // fills in a row since the device's last frame
	// debt counts fills not paid back yet (at most pacerMaxDebt): each
	// is a frame the far end got that the device did not give.
	debt int
	// The current window of pacerWindow ticks: the least lead (slots -
	// ticks) after a tick, and the fewest frames left waiting after a
	// take (more than any frame's worth: none taken yet).
	window, minLead, minLeft int
	// payback: the next frame the device gives that is no louder than
	// usual goes unsent (loud, the frame's sum of absolute samples, and
	// usual, their moving average).
	payback bool
	usual   int64
}

// pacerAhead is how many frames the device may be sent ahead of the
// call's clock: pipewire-pulse hands a record stream three 20 ms frames
// at once every 60 ms, which go out as they come.
const pacerAhead = 3

// pacerWindow is how many clock periods (a second) the pacer watches
// before it pays a fill back or trims a standing backlog.
const pacerWindow = 50

// pacerMaxDebt bounds the fills paid back: a stall longer than this many
// frames lost the device's audio (a sound server keeps a few frames of a
// stalled client, the call's source keeps ten).
const pacerMaxDebt = 10

func newPacer(src FrameSource, send func(take func([]int16)), frame int) *pacer {
	p := &pacer{src: src, send: send, ahead: pacerAhead, buf: make([]int16, frame), last: make([]int16, frame)}
	p.resetWindow()
	return p
}

// ready is the source's call: a frame waits.
func (p *pacer) ready() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.drain()
	}
}

// tick is the clock's: one frame period has passed. The frames held back
// for running ahead go, then a fill for each frame beyond one period
// late.
func (p *pacer) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.ticks++
	p.drain()
	for p.slots < p.ticks-1 {
		p.fill()
	}
	p.minLead = min(p.minLead, p.slots-p.ticks)
	if p.window++; p.window < pacerWindow {
		return
	}
	if p.debt > 0 && p.minLead >= 0 {
		p.payback = true
	}
	if p.minLeft <= pacerMaxDebt {
		// Frames that stood in the source at every take of the window
		// (a device faster than the call's clock) go.
		for range p.minLeft {
			_, _, _ = p.src.NextPCM(p.buf)
		}
	}
	p.resetWindow()
}

// rebase takes the clock's count back to the sends' after the clock
// stalled for long (its missed periods go unplayed and unsent): the
// device's frames then go as they come again, not behind a wall of fills.
func (p *pacer) rebase() {
	p.mu.Lock()
	p.ticks = p.slots
	p.mu.Unlock()
}

// close stops the sends; the source's next ready finds nothing to do.
func (p *pacer) close() {
	p.src.NotifyPCM(nil)
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
}

func (p *pacer) resetWindow() {
	p.window, p.minLead, p.minLeft = 0, p.ahead+1, pacerMaxDebt+1
}

// drain sends the frames waiting in the source while the sends are less
// than ahead frames ahead of the clock; mu is held.
func (p *pacer) drain() {
	if !p.started && p.ticks == 0 {
		// The first packet goes on the clock's first turn, as it did
		// on the clock: a call that has just started (an inbound one
		// before its ACK) is still sending its gate's silence.
		return
	}
	for p.slots-p.ticks < p.ahead {
		n, left, ok := p.src.NextPCM(p.buf)
		for !p.started && ok && left > 0 {
			// What the source queued before the media started (the
			// call rang) goes, but for the newest frame: sent at once,
			// it would fill the far end's buffer for the whole call.
			n, left, ok = p.src.NextPCM(p.buf)
		}
		if !ok {
			return
		}
		p.started = true
		p.minLeft = min(p.minLeft, left)
		clear(p.buf[n:])
		var loud int64
		for _, v := range p.buf {
			x := int64(v)
			loud += max(x, -x)
		}
		quiet := loud <= p.usual
		p.usual += (loud - p.usual) / 16
		if p.debt > 0 && (left > 0 || p.payback && quiet) {
			// A late frame whose turn a fill took (a backlog's older
			// frame), or a fill paid back while the device runs ahead:
			// a frame of the usual level or less, not a word's onset.
			p.debt--
			p.payback = false
			continue
		}
		p.lastN = copy(p.last, p.buf)
		p.fills = 0
		p.send(p.take)
		p.slots++
	}
}

// take is the sender's copy of the frame taken (drain) or of the fill.
func (p *pacer) take(pcm []int16) {
	clear(pcm[copy(pcm, p.buf):])
}

// fill sends a concealment frame for one the device has not given; mu
// is held.
func (p *pacer) fill() {
	switch p.fills {
	case 0:
		copy(p.buf, p.last[:p.lastN])
	case 1:
		for i, v := range p.last[:p.lastN] {
			p.buf[i] = v / 2
		}
	default:
		clear(p.buf)
	}
	p.fills++
	p.debt = min(p.debt+1, pacerMaxDebt)
	p.send(p.take)
	p.slots++
}
