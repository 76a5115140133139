//go:build !linux

package audio

import (
	"context"
	"time"
)

// Without an OS notification the poll alone must see a change within 2 s
// (an enumeration takes about 40 ms).
const defaultWatchInterval = 1500 * time.Millisecond

// watchOS has no OS notification source on this OS yet (Windows has
// IMMNotificationClient, macOS a CoreAudio property listener, both behind
// cgo or COM); the Watcher's polling finds the changes.
func watchOS(ctx context.Context, kick func()) {}

// NewDeviceProbe returns nil here: no cheap sum of the devices exists, so
// the Watcher enumerates at every poll.
func NewDeviceProbe() func() (sig []byte, ok bool) { return nil }
