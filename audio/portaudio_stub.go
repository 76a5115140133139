//go:build !cgo || noportaudio

package audio

func newBackend() (backend, error) { return nil, ErrUnavailable }
