package screentest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// IVF is the plain container ffmpeg writes VP8 into and reads it from:
// a 32-byte file header, then each frame behind a 12-byte header (size,
// pts). It is written here, not taken from a library, because the tests
// need only these few lines of a public format; pion's ivfreader would
// do as well but brings nothing more.

const (
	ivfFileHeaderLen  = 32
	ivfFrameHeaderLen = 12
	// maxIVFFrame bounds a frame read from a pipe.
	maxIVFFrame = 8 << 20
)

// IVFHeader is what the file header says.
type IVFHeader struct {
	FourCC        string
	Width, Height int
	Rate, Scale   uint32
}

// ReadIVFHeader reads and checks the file header.
func ReadIVFHeader(r io.Reader) (IVFHeader, error) {
	var b [ivfFileHeaderLen]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return IVFHeader{}, fmt.Errorf("read ivf header: %w", err)
	}
	if string(b[0:4]) != "DKIF" {
		return IVFHeader{}, errors.New("read ivf header: no DKIF signature")
	}
	if n := binary.LittleEndian.Uint16(b[6:]); n != ivfFileHeaderLen {
		return IVFHeader{}, fmt.Errorf("read ivf header: header length %d, want %d", n, ivfFileHeaderLen)
	}
	return IVFHeader{
		FourCC: string(b[8:12]),
		Width:  int(binary.LittleEndian.Uint16(b[12:])), Height: int(binary.LittleEndian.Uint16(b[14:])),
		Rate: binary.LittleEndian.Uint32(b[16:]), Scale: binary.LittleEndian.Uint32(b[20:]),
	}, nil
}

// ReadIVFFrame reads the next frame into buf (grown as needed).
func ReadIVFFrame(r io.Reader, buf []byte) (frame []byte, pts uint64, err error) {
	var h [ivfFrameHeaderLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, 0, err // io.EOF at a frame boundary is the end
	}
	n := binary.LittleEndian.Uint32(h[0:])
	if n == 0 || n > maxIVFFrame {
		return nil, 0, fmt.Errorf("read ivf frame: size %d outside 1–%d", n, maxIVFFrame)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, 0, fmt.Errorf("read ivf frame of %d bytes: %w", n, io.ErrUnexpectedEOF)
	}
	return buf, binary.LittleEndian.Uint64(h[4:]), nil
}

// WriteIVFHeader writes a VP8 file header.
func WriteIVFHeader(w io.Writer, width, height int, rate uint32) error {
	var b [ivfFileHeaderLen]byte
	copy(b[0:], "DKIF")
	binary.LittleEndian.PutUint16(b[6:], ivfFileHeaderLen)
	copy(b[8:], "VP80")
	binary.LittleEndian.PutUint16(b[12:], uint16(width))
	binary.LittleEndian.PutUint16(b[14:], uint16(height))
	binary.LittleEndian.PutUint32(b[16:], rate)
	binary.LittleEndian.PutUint32(b[20:], 1)
	_, err := w.Write(b[:])
	return err
}

// WriteIVFFrame writes one frame.
func WriteIVFFrame(w io.Writer, frame []byte, pts uint64) error {
	var h [ivfFrameHeaderLen]byte
	binary.LittleEndian.PutUint32(h[0:], uint32(len(frame)))
	binary.LittleEndian.PutUint64(h[4:], pts)
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	_, err := w.Write(frame)
	return err
}

// KeyframeSize returns the picture size a VP8 keyframe declares
// (RFC 6386 9.1); ok is false for an inter frame or a short one.
func KeyframeSize(frame []byte) (width, height int, ok bool) {
	if len(frame) < 10 || frame[0]&0x01 != 0 || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 0, 0, false
	}
	return int(binary.LittleEndian.Uint16(frame[6:]) & 0x3fff), int(binary.LittleEndian.Uint16(frame[8:]) & 0x3fff), true
}
