//go:build !cgo || noportaudio

package audio

// available says whether this build has a backend.
const available = false

func newBackend() (backend, error) { return nil, ErrUnavailable }
