package capture

import (
	"fmt"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xproto"
	"golang.org/x/sys/unix"
)

// shmSegment is a SysV shared-memory segment the X server writes images
// into (MIT-SHM), so a frame crosses no socket.
type shmSegment struct {
	seg shm.Seg
	buf []byte
}

// newSHMSegment makes a segment of size bytes and has the server attach
// it. It is marked for removal as soon as the server holds it, so the
// kernel frees it when both sides detach, even if this process dies.
func newSHMSegment(conn *xgb.Conn, size int) (*shmSegment, error) {
	if err := shm.Init(conn); err != nil {
		return nil, fmt.Errorf("capture: MIT-SHM: %w", err)
	}
	id, err := unix.SysvShmGet(unix.IPC_PRIVATE, size, unix.IPC_CREAT|0o600)
	if err != nil {
		return nil, fmt.Errorf("capture: shmget %d bytes: %w", size, err)
	}
	defer unix.SysvShmCtl(id, unix.IPC_RMID, nil)
	buf, err := unix.SysvShmAttach(id, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("capture: shmat: %w", err)
	}
	seg, err := shm.NewSegId(conn)
	if err == nil {
		err = shm.AttachChecked(conn, seg, uint32(id), false).Check()
	}
	if err != nil {
		unix.SysvShmDetach(buf)
		return nil, fmt.Errorf("capture: the X server did not attach the segment: %w", err)
	}
	return &shmSegment{seg: seg, buf: buf}, nil
}

// getImage has the server write the rectangle into the segment, rows of
// width×4 bytes from offset 0, and returns how many bytes it wrote.
func (s *shmSegment) getImage(conn *xgb.Conn, d xproto.Drawable, x, y, width, height int) (int, error) {
	r, err := shm.GetImage(conn, d, int16(x), int16(y), uint16(width), uint16(height),
		0xffffffff, xproto.ImageFormatZPixmap, s.seg, 0).Reply()
	if err != nil {
		return 0, err
	}
	return int(r.Size), nil
}

func (s *shmSegment) close(conn *xgb.Conn) {
	shm.Detach(conn, s.seg)
	conn.Sync()
	unix.SysvShmDetach(s.buf)
}
