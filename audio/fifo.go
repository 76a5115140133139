package audio

// fifo is a ring of samples, of a fixed size until grow. It does not lock; its owner does.
type fifo struct {
	buf  []int16
	r, n int
}

func newFIFO(size int) fifo { return fifo{buf: make([]int16, size)} }

func (f *fifo) len() int  { return f.n }
func (f *fifo) size() int { return len(f.buf) }
func (f *fifo) free() int { return len(f.buf) - f.n }

// grow makes room for size samples, keeping what is queued.
func (f *fifo) grow(size int) {
	if size <= len(f.buf) {
		return
	}
	nb := make([]int16, size)
	n := f.read(nb)
	f.buf, f.r, f.n = nb, 0, n
}

// write appends as much of p as fits and returns how much that was.
func (f *fifo) write(p []int16) int {
	total := 0
	for len(p) > 0 && f.n < len(f.buf) {
		w := (f.r + f.n) % len(f.buf)
		end := len(f.buf)
		if f.r > w || (f.r == w && f.n > 0) {
			end = f.r
		}
		c := copy(f.buf[w:end], p)
		f.n += c
		p = p[c:]
		total += c
	}
	return total
}

// read takes up to len(p) samples from the front.
func (f *fifo) read(p []int16) int {
	total := 0
	for len(p) > 0 && f.n > 0 {
		end := f.r + f.n
		if end > len(f.buf) {
			end = len(f.buf)
		}
		c := copy(p, f.buf[f.r:end])
		f.r = (f.r + c) % len(f.buf)
		f.n -= c
		p = p[c:]
		total += c
	}
	return total
}

// discard drops up to n samples from the front.
func (f *fifo) discard(n int) {
	if n > f.n {
		n = f.n
	}
	f.r = (f.r + n) % len(f.buf)
	f.n -= n
}

func (f *fifo) reset() { f.r, f.n = 0, 0 }
