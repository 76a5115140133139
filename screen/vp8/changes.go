package vp8

import (
	"bytes"

	"github.com/openbpclient/bpclient/screen"
)

// changeMap finds the 16×16 macroblocks that differ from the previous
// frame, for libvpx's active map: an inactive macroblock is coded as
// skipped outright, so an unchanged screen costs a few dozen bytes a
// frame instead of the ~1.5 kB libvpx spends re-signalling (and slowly
// refining) every macroblock of a still 1080p picture.
type changeMap struct {
	cols, rows int
	prev       planes // the last frame's planes (Go memory, made once)
	primed     bool
}

func newChangeMap(width, height int) *changeMap {
	cw, ch := (width+1)/2, (height+1)/2
	return &changeMap{cols: (width + 15) / 16, rows: (height + 15) / 16,
		prev: planes{Width: width, Height: height, YStride: width, CStride: cw,
			Y: make([]byte, width*height), U: make([]byte, cw*ch), V: make([]byte, cw*ch)}}
}

// update marks in active (cols×rows, 1 = changed) what differs between p
// and the previous frame, keeps p as the previous one, and returns how
// many macroblocks changed. The first frame is all changed.
func (m *changeMap) update(p *planes, active []byte) int {
	changed := 0
	for r := range m.rows {
		for c := range m.cols {
			a := byte(1)
			if m.primed && sameBlock(p, &m.prev, c, r) {
				a = 0
			}
			active[r*m.cols+c] = a
			changed += int(a)
		}
	}
	m.keep(p)
	m.primed = true
	return changed
}

// sameBlock compares macroblock c, r: 16 luma rows and 8 of each chroma.
func sameBlock(p, q *planes, c, r int) bool {
	x0, x1 := c*16, min(c*16+16, p.Width)
	for y := r * 16; y < min(r*16+16, p.Height); y++ {
		if !bytes.Equal(p.Y[y*p.YStride+x0:y*p.YStride+x1], q.Y[y*q.YStride+x0:y*q.YStride+x1]) {
			return false
		}
	}
	cx0, cx1 := c*8, min(c*8+8, (p.Width+1)/2)
	for y := r * 8; y < min(r*8+8, (p.Height+1)/2); y++ {
		if !bytes.Equal(p.U[y*p.CStride+cx0:y*p.CStride+cx1], q.U[y*q.CStride+cx0:y*q.CStride+cx1]) ||
			!bytes.Equal(p.V[y*p.CStride+cx0:y*p.CStride+cx1], q.V[y*q.CStride+cx0:y*q.CStride+cx1]) {
			return false
		}
	}
	return true
}

func (m *changeMap) keep(p *planes) {
	q := &m.prev
	for y := range p.Height {
		copy(q.Y[y*q.YStride:y*q.YStride+p.Width], p.Y[y*p.YStride:])
	}
	cw := (p.Width + 1) / 2
	for y := range (p.Height + 1) / 2 {
		copy(q.U[y*q.CStride:y*q.CStride+cw], p.U[y*p.CStride:])
		copy(q.V[y*q.CStride:y*q.CStride+cw], p.V[y*p.CStride:])
	}
}

// sourceCopy is the last frame Encode converted, so that a frame with the
// same pixels (a still screen, the common case) skips the conversion and
// the comparison of planes: one memcmp instead.
type sourceCopy struct {
	width, height, stride int
	pix                   []byte
}

// same reports whether f has exactly the pixels of the kept frame.
func (s *sourceCopy) same(f *screen.Frame) bool {
	return s.pix != nil && f.Width == s.width && f.Height == s.height && f.Stride == s.stride &&
		bytes.Equal(f.Pix[:f.Stride*f.Height], s.pix)
}

// keep copies f, reusing its buffer.
func (s *sourceCopy) keep(f *screen.Frame) {
	s.width, s.height, s.stride = f.Width, f.Height, f.Stride
	s.pix = append(s.pix[:0], f.Pix[:f.Stride*f.Height]...)
}
