package g729

// Frame layout (Table 8 of the Recommendation; RFC 3551 4.5.6 sends the
// fields in this order, most significant bit first, 80 bits in 10 bytes):
//
//	L0 1, L1 7, L2 5, L3 5       LSP quantiser indices
//	P1 8, P0 1, C1 13, S1 4      subframe 1: pitch delay, parity, pulses, signs
//	GA1 3, GB1 4                 subframe 1 gains
//	P2 5, C2 13, S2 4, GA2 3, GB2 4  subframe 2
//
// An Annex B SID frame is 15 bits in 2 bytes (the last bit zero): the
// LSF predictor switch 1, the first stage 5, the second stage 4, the
// energy 5.

const (
	// FrameSamples is one 10 ms frame at 8 kHz.
	FrameSamples = 80
	// FrameBytes is one voice frame.
	FrameBytes = 10
	// SIDBytes is one Annex B silence insertion descriptor frame.
	SIDBytes = 2

	subframe = 40
	order    = 10
)

// frameParams is a voice frame's fields, in Table 8's order.
type frameParams struct {
	l0, l1, l2, l3 int
	p1, p0         int
	c1, s1         int
	ga1, gb1       int
	p2             int
	c2, s2         int
	ga2, gb2       int
}

// fieldWidths is Table 8's field sizes in the order of frameParams.fields.
var fieldWidths = [...]uint{1, 7, 5, 5, 8, 1, 13, 4, 3, 4, 5, 13, 4, 3, 4}

func (p *frameParams) fields() [15]*int {
	return [15]*int{&p.l0, &p.l1, &p.l2, &p.l3, &p.p1, &p.p0, &p.c1, &p.s1, &p.ga1, &p.gb1,
		&p.p2, &p.c2, &p.s2, &p.ga2, &p.gb2}
}

// unpack reads a voice frame (b holds at least FrameBytes).
func (p *frameParams) unpack(b []byte) {
	r := bitReader{b: b}
	for i, f := range p.fields() {
		*f = r.read(fieldWidths[i])
	}
}

// pack writes a voice frame into b (at least FrameBytes).
func (p *frameParams) pack(b []byte) {
	w := bitWriter{b: b[:FrameBytes]}
	clear(w.b)
	for i, f := range p.fields() {
		w.write(*f, fieldWidths[i])
	}
}

// sidParams is an Annex B SID frame's fields.
type sidParams struct{ mode, l1, l2, energy int }

func (p *sidParams) unpack(b []byte) {
	r := bitReader{b: b}
	p.mode, p.l1, p.l2, p.energy = r.read(1), r.read(5), r.read(4), r.read(5)
}

func (p *sidParams) pack(b []byte) {
	w := bitWriter{b: b[:SIDBytes]}
	clear(w.b)
	w.write(p.mode, 1)
	w.write(p.l1, 5)
	w.write(p.l2, 4)
	w.write(p.energy, 5)
}

type bitReader struct {
	b   []byte
	pos uint
}

func (r *bitReader) read(n uint) int {
	v := 0
	for ; n > 0; n-- {
		bit := int(r.b[r.pos>>3]>>(7-r.pos&7)) & 1
		v = v<<1 | bit
		r.pos++
	}
	return v
}

type bitWriter struct {
	b   []byte
	pos uint
}

func (w *bitWriter) write(v int, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		if v>>uint(i)&1 != 0 {
			w.b[w.pos>>3] |= 0x80 >> (w.pos & 7)
		}
		w.pos++
	}
}
