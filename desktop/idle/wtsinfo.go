package idle

import (
	"encoding/binary"
	"errors"
)

// WTSINFOEXW's lock flag (wtsapi32.h): a DWORD Level, then the union of
// levels aligned for its LARGE_INTEGERs (offset 8 on 32- and 64-bit),
// whose level 1 starts SessionId, SessionState, SessionFlags (LONG).
const (
	wtsInfoExFlagsOffset = 16
	wtsSessionStateLock  = 0
	wtsSessionStateOpen  = 1
)

var errWTSNoLockState = errors.New("idle: WTSSessionInfoEx gave no lock state")

// wtsLockState reads whether the session is locked from the WTSINFOEXW
// that WTSQuerySessionInformationW(WTSSessionInfoEx) returned. inverted:
// Windows 7 and Server 2008 R2 report the flag the other way round
// (documented on WTSINFOEX_LEVEL1_W). SessionFlags is -1 (unknown) where
// Windows cannot say: an error, so that the caller uses another source.
func wtsLockState(info []byte, inverted bool) (bool, error) {
	if len(info) < wtsInfoExFlagsOffset+4 || binary.LittleEndian.Uint32(info) != 1 {
		return false, errWTSNoLockState
	}
	switch int32(binary.LittleEndian.Uint32(info[wtsInfoExFlagsOffset:])) {
	case wtsSessionStateLock:
		return !inverted, nil
	case wtsSessionStateOpen:
		return inverted, nil
	}
	return false, errWTSNoLockState
}
