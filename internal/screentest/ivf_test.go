package screentest

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestIVFRoundTrip(t *testing.T) {
	var b bytes.Buffer
	if err := WriteIVFHeader(&b, 640, 360, 5); err != nil {
		t.Fatal(err)
	}
	frames := [][]byte{{1, 2, 3}, bytes.Repeat([]byte{9}, 5000)}
	for i, f := range frames {
		if err := WriteIVFFrame(&b, f, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	h, err := ReadIVFHeader(&b)
	if err != nil {
		t.Fatal(err)
	}
	if h.FourCC != "VP80" || h.Width != 640 || h.Height != 360 || h.Rate != 5 {
		t.Fatalf("header %+v", h)
	}
	for i, want := range frames {
		got, pts, err := ReadIVFFrame(&b, nil)
		if err != nil || !bytes.Equal(got, want) || pts != uint64(i) {
			t.Fatalf("frame %d: %v, pts %d, %d bytes", i, err, pts, len(got))
		}
	}
	if _, _, err := ReadIVFFrame(&b, nil); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last frame: %v, want EOF", err)
	}
}

func TestIVFRefusesBadInput(t *testing.T) {
	if _, err := ReadIVFHeader(bytes.NewReader(make([]byte, 32))); err == nil {
		t.Error("a header without DKIF was read")
	}
	huge := []byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0}
	if _, _, err := ReadIVFFrame(bytes.NewReader(huge), nil); err == nil {
		t.Error("a 2 GB frame size was accepted")
	}
	short := []byte{10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2}
	if _, _, err := ReadIVFFrame(bytes.NewReader(short), nil); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a truncated frame: %v", err)
	}
}

func FuzzReadIVF(f *testing.F) {
	var b bytes.Buffer
	_ = WriteIVFHeader(&b, 320, 180, 2)
	_ = WriteIVFFrame(&b, []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00}, 0)
	f.Add(b.Bytes())
	f.Add([]byte("DKIF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		if _, err := ReadIVFHeader(r); err != nil {
			return
		}
		for {
			fr, _, err := ReadIVFFrame(r, nil)
			if err != nil {
				return
			}
			if len(fr) == 0 || len(fr) > maxIVFFrame {
				t.Fatalf("frame of %d bytes", len(fr))
			}
			if w, h, ok := KeyframeSize(fr); ok && (w > 0x3fff || h > 0x3fff) {
				t.Fatalf("size %dx%d", w, h)
			}
		}
	})
}
