//go:build !linux

package capture

// libraryLog: no library under the capture writes to stderr here.
func libraryLog(func(line string)) {}
