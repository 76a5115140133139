//go:build !cgo || noportaudio

package audio

// portAudioAvailable says whether this build has PortAudio.
const portAudioAvailable = false

func newPortAudio() (backend, error) { return nil, ErrUnavailable }
