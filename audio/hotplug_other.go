//go:build !linux

package audio

import "context"

// watchOS has no OS notification source on this OS yet (Windows has
// IMMNotificationClient, macOS a CoreAudio property listener, both behind
// cgo or COM); the Watcher's polling finds the changes.
func watchOS(ctx context.Context, kick func()) {}
