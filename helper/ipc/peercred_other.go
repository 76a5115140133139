//go:build !windows && !linux && !darwin

package ipc

import "errors"

// Without a way to learn the peer's uid, nobody is admitted.
func sockoptUID(int) (uint32, error) {
	return 0, errors.New("peer credentials are not supported on this OS")
}
