//go:build !linux

package soundtest

import "testing"

// Start skips: the private servers run on Linux only.
func Start(t testing.TB, kind string) *Server {
	t.Helper()
	t.Skip("SKIP: private sound servers run on Linux only")
	return nil
}
