package nativemsg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

func frame(payload []byte) []byte {
	var b bytes.Buffer
	if err := WriteFrame(&b, payload); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func TestRoundTrip(t *testing.T) {
	msgs := [][]byte{[]byte(`{"a":1}`), {}, bytes.Repeat([]byte("x"), MaxFrame)}
	var stream bytes.Buffer
	for _, m := range msgs {
		stream.Write(frame(m))
	}
	r := NewReader(&stream)
	for i, want := range msgs {
		got, err := r.ReadFrame()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("frame %d: got %d bytes, want %d", i, len(got), len(want))
		}
	}
	if _, err := r.ReadFrame(); err != io.EOF {
		t.Fatalf("after last frame: %v, want io.EOF", err)
	}
}

func TestNativeByteOrder(t *testing.T) {
	f := frame([]byte("hi"))
	if binary.NativeEndian.Uint32(f) != 2 {
		t.Fatalf("header %x is not native-endian 2", f[:4])
	}
}

func TestTruncated(t *testing.T) {
	f := frame([]byte(`{"jsonrpc":"2.0"}`))
	for cut := 1; cut < len(f); cut++ {
		_, err := NewReader(bytes.NewReader(f[:cut])).ReadFrame()
		if cut < 4 && err != io.ErrUnexpectedEOF {
			t.Errorf("cut %d in header: %v, want io.ErrUnexpectedEOF", cut, err)
		}
		if cut >= 4 && err != io.ErrUnexpectedEOF {
			t.Errorf("cut %d in payload: %v, want io.ErrUnexpectedEOF", cut, err)
		}
	}
}

// countingReader fails the test if more than the header is read.
type countingReader struct {
	r    io.Reader
	read int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

func TestTooLargeIsNotRead(t *testing.T) {
	var hdr [4]byte
	binary.NativeEndian.PutUint32(hdr[:], MaxFrame+1)
	src := &countingReader{r: io.MultiReader(bytes.NewReader(hdr[:]), bytes.NewReader(make([]byte, 64)))}
	r := NewReader(src)
	_, err := r.ReadFrame()
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("err = %v, want ErrFrameTooLarge", err)
	}
	var tl *FrameTooLargeError
	if !errors.As(err, &tl) || tl.Size != MaxFrame+1 {
		t.Fatalf("err = %#v, want size %d", err, MaxFrame+1)
	}
	if src.read != 4 {
		t.Fatalf("read %d bytes, want only the 4-byte header", src.read)
	}
	if r.buf != nil {
		t.Fatalf("allocated %d bytes for a refused frame", cap(r.buf))
	}
}

func TestWriteTooLarge(t *testing.T) {
	var b bytes.Buffer
	if err := WriteFrame(&b, make([]byte, MaxFrame+1)); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("err = %v, want ErrFrameTooLarge", err)
	}
	if b.Len() != 0 {
		t.Fatalf("wrote %d bytes of a refused frame", b.Len())
	}
}

func FuzzReadFrame(f *testing.F) {
	f.Add(frame([]byte(`{"jsonrpc":"2.0","id":1,"method":"helper.hello"}`)))
	f.Add(append(frame([]byte("{}")), frame([]byte("[]"))...))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		consumed := 0
		for {
			p, err := r.ReadFrame()
			if err != nil {
				if errors.Is(err, ErrFrameTooLarge) {
					n := binary.NativeEndian.Uint32(data[consumed:])
					if n <= MaxFrame {
						t.Fatalf("refused a %d-byte frame", n)
					}
				}
				return
			}
			if len(p) > MaxFrame {
				t.Fatalf("returned %d bytes, over the limit", len(p))
			}
			want := data[consumed+4 : consumed+4+len(p)]
			if !bytes.Equal(p, want) {
				t.Fatalf("payload differs from input")
			}
			consumed += 4 + len(p)
			// Re-encoding must give back the same bytes.
			if !bytes.Equal(frame(p), data[consumed-4-len(p):consumed]) {
				t.Fatalf("re-encoded frame differs")
			}
		}
	})
}

func BenchmarkFrameRoundTrip(b *testing.B) {
	msg := []byte(`{"jsonrpc":"2.0","id":12,"method":"helper.ping"}`)
	var buf bytes.Buffer
	r := NewReader(&buf)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		WriteFrame(&buf, msg)
		if _, err := r.ReadFrame(); err != nil {
			b.Fatal(err)
		}
	}
}
