package vp8

import "github.com/openbpclient/bpclient/screen"

// planes is an I420 picture in memory someone else owns (libvpx's image).
type planes struct {
	Width, Height    int
	Y, U, V          []byte
	YStride, CStride int
}

// rgbRow is one output row's colours, 0..255 each.
type rgbRow struct{ R, G, B []int32 }

// converter turns frames into I420 at the output size, box-filtering each
// output pixel from the source pixels it covers. Its tables and rows are
// made once per source size, so converting allocates nothing.
type converter struct {
	srcW, srcH, dstW, dstH int
	xs, ys                 []span // output pixel i covers source xs[i] × ys[i]
	rows                   [2]rgbRow
	cols                   rgbRow // per source column: the sums of a span's rows
}

func (c *converter) prepare(srcW, srcH, dstW, dstH int) {
	if c.srcW == srcW && c.srcH == srcH && c.dstW == dstW && c.dstH == dstH {
		return
	}
	*c = converter{srcW: srcW, srcH: srcH, dstW: dstW, dstH: dstH, xs: spans(srcW, dstW), ys: spans(srcH, dstH)}
	for i := range c.rows {
		c.rows[i] = rgbRow{make([]int32, dstW), make([]int32, dstW), make([]int32, dstW)}
	}
	c.cols = rgbRow{make([]int32, srcW), make([]int32, srcW), make([]int32, srcW)}
}

// span is the source pixels [from, to) one output pixel averages.
type span struct{ from, to int }

// spans splits src pixels among dst outputs, each covering at least one
// (upscaling repeats source pixels).
func spans(src, dst int) []span {
	s := make([]span, dst)
	for i := range s {
		from := i * src / dst
		s[i] = span{from, max(from+1, (i+1)*src/dst)}
	}
	return s
}

// scaleRow fills row with output row oy of f: the source rows of its
// span summed per column first (sequential reads), then each output
// pixel's columns.
func (c *converter) scaleRow(f *screen.Frame, oy int, row rgbRow) {
	sum := c.cols
	clear(sum.R)
	clear(sum.G)
	clear(sum.B)
	ys := c.ys[oy]
	for y := ys.from; y < ys.to; y++ {
		p := f.Pix[y*f.Stride : y*f.Stride+c.srcW*4]
		for x := range c.srcW {
			sum.B[x] += int32(p[4*x])
			sum.G[x] += int32(p[4*x+1])
			sum.R[x] += int32(p[4*x+2])
		}
	}
	rows := int64(ys.to - ys.from)
	for ox, xs := range c.xs {
		var r, g, b int32
		for x := xs.from; x < xs.to; x++ {
			r += sum.R[x]
			g += sum.G[x]
			b += sum.B[x]
		}
		// sum/n as a multiply by 2^24/n (rounded): exact to well under
		// one level for the spans a screen gives.
		n := int64(xs.to-xs.from) * rows
		recip := (1<<24 + n/2) / n
		row.R[ox] = int32((int64(r)*recip + 1<<23) >> 24)
		row.G[ox] = int32((int64(g)*recip + 1<<23) >> 24)
		row.B[ox] = int32((int64(b)*recip + 1<<23) >> 24)
	}
}

// bgrxToI420 converts (and scales) f into p, BT.601 limited range; the
// chroma of each 2×2 block is that of its average colour.
func (c *converter) bgrxToI420(p *planes, f *screen.Frame) {
	if f.Width == p.Width && f.Height == p.Height {
		sameSizeToI420(p, f)
		return
	}
	c.prepare(f.Width, f.Height, p.Width, p.Height)
	for oy := 0; oy < p.Height; oy += 2 {
		top, bottom := c.rows[0], c.rows[1]
		c.scaleRow(f, oy, top)
		if oy+1 < p.Height {
			c.scaleRow(f, oy+1, bottom)
			lumaRow(p.Y[(oy+1)*p.YStride:], bottom, p.Width)
		} else {
			bottom = top
		}
		lumaRow(p.Y[oy*p.YStride:], top, p.Width)
		u, v := p.U[oy/2*p.CStride:], p.V[oy/2*p.CStride:]
		for cx := 0; cx < (p.Width+1)/2; cx++ {
			x0, x1 := 2*cx, min(2*cx+1, p.Width-1)
			r := (top.R[x0] + top.R[x1] + bottom.R[x0] + bottom.R[x1] + 2) / 4
			g := (top.G[x0] + top.G[x1] + bottom.G[x0] + bottom.G[x1] + 2) / 4
			b := (top.B[x0] + top.B[x1] + bottom.B[x0] + bottom.B[x1] + 2) / 4
			u[cx], v[cx] = chroma(r, g, b)
		}
	}
}

// sameSizeToI420 is bgrxToI420 without scaling, 2×2 blocks at a time.
func sameSizeToI420(p *planes, f *screen.Frame) {
	w, h := p.Width, p.Height
	for y := 0; y < h; y += 2 {
		y1 := min(y+1, h-1)
		s0 := f.Pix[y*f.Stride : y*f.Stride+w*4]
		s1 := f.Pix[y1*f.Stride : y1*f.Stride+w*4]
		d0 := p.Y[y*p.YStride : y*p.YStride+w]
		d1 := p.Y[y1*p.YStride : y1*p.YStride+w]
		u := p.U[y/2*p.CStride : y/2*p.CStride+(w+1)/2]
		v := p.V[y/2*p.CStride : y/2*p.CStride+(w+1)/2]
		for x := 0; x < w; x += 2 {
			x1 := min(x+1, w-1)
			b00, g00, r00 := int32(s0[4*x]), int32(s0[4*x+1]), int32(s0[4*x+2])
			b01, g01, r01 := int32(s0[4*x1]), int32(s0[4*x1+1]), int32(s0[4*x1+2])
			b10, g10, r10 := int32(s1[4*x]), int32(s1[4*x+1]), int32(s1[4*x+2])
			b11, g11, r11 := int32(s1[4*x1]), int32(s1[4*x1+1]), int32(s1[4*x1+2])
			d0[x], d0[x1] = luma(r00, g00, b00), luma(r01, g01, b01)
			d1[x], d1[x1] = luma(r10, g10, b10), luma(r11, g11, b11)
			u[x/2], v[x/2] = chroma((r00+r01+r10+r11+2)/4, (g00+g01+g10+g11+2)/4, (b00+b01+b10+b11+2)/4)
		}
	}
}

func luma(r, g, b int32) uint8 { return uint8((66*r+129*g+25*b+128)>>8 + 16) }

func chroma(r, g, b int32) (u, v uint8) {
	return uint8((-38*r-74*g+112*b+128)>>8 + 128), uint8((112*r-94*g-18*b+128)>>8 + 128)
}

func lumaRow(dst []byte, row rgbRow, width int) {
	for x := range width {
		dst[x] = luma(row.R[x], row.G[x], row.B[x])
	}
}

// i420ToBGRX converts p into f (same size), BT.601 limited range.
func i420ToBGRX(f *screen.Frame, p *planes) {
	f.Resize(p.Width, p.Height)
	for y := range p.Height {
		yr := p.Y[y*p.YStride:]
		ur, vr := p.U[y/2*p.CStride:], p.V[y/2*p.CStride:]
		out := f.Pix[y*f.Stride:]
		for x := range p.Width {
			c := 298 * (int32(yr[x]) - 16)
			d, e := int32(ur[x/2])-128, int32(vr[x/2])-128
			out[4*x+2] = clamp8((c + 409*e + 128) >> 8)
			out[4*x+1] = clamp8((c - 100*d - 208*e + 128) >> 8)
			out[4*x] = clamp8((c + 516*d + 128) >> 8)
			out[4*x+3] = 0xff
		}
	}
}

func clamp8(v int32) uint8 {
	return uint8(min(max(v, 0), 255))
}
