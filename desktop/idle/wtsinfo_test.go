package idle

import (
	"encoding/binary"
	"testing"
)

func wtsInfo(level uint32, flags int32) []byte {
	b := make([]byte, 1216) // about sizeof(WTSINFOEXW) on 64-bit
	binary.LittleEndian.PutUint32(b, level)
	binary.LittleEndian.PutUint32(b[8:], 1)  // SessionId
	binary.LittleEndian.PutUint32(b[12:], 0) // SessionState: WTSActive
	binary.LittleEndian.PutUint32(b[16:], uint32(flags))
	return b
}

// TestWTSLockState: the lock flag, Windows 7's inverted one, and what is
// no lock state (unknown, another level, a short buffer).
func TestWTSLockState(t *testing.T) {
	for _, c := range []struct {
		info     []byte
		inverted bool
		locked   bool
		ok       bool
	}{
		{wtsInfo(1, 0), false, true, true},
		{wtsInfo(1, 1), false, false, true},
		{wtsInfo(1, 0), true, false, true},
		{wtsInfo(1, 1), true, true, true},
		{wtsInfo(1, -1), false, false, false},
		{wtsInfo(2, 0), false, false, false},
		{wtsInfo(1, 0)[:19], false, false, false},
		{nil, false, false, false},
	} {
		locked, err := wtsLockState(c.info, c.inverted)
		if locked != c.locked || (err == nil) != c.ok {
			t.Errorf("wtsLockState(%d bytes, flags %d, inverted %v) = %v, %v", len(c.info), flagsOf(c.info), c.inverted, locked, err)
		}
	}
}

func flagsOf(b []byte) int32 {
	if len(b) < 20 {
		return 0
	}
	return int32(binary.LittleEndian.Uint32(b[16:]))
}

// FuzzWTSLockState: any buffer Windows (or a broken wtsapi32) hands back
// is read without a panic, and locked only with an answer.
func FuzzWTSLockState(f *testing.F) {
	f.Add(wtsInfo(1, 0), false)
	f.Add(wtsInfo(1, 1), true)
	f.Add([]byte{1, 0, 0, 0}, false)
	f.Fuzz(func(t *testing.T, info []byte, inverted bool) {
		if locked, err := wtsLockState(info, inverted); err != nil && locked {
			t.Fatal("locked with an error")
		}
	})
}
