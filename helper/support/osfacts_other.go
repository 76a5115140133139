//go:build !linux && !darwin && !windows

package support

// osRelease knows nothing more of other systems.
func osRelease() map[string]string { return nil }
