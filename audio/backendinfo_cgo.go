//go:build cgo && !noportaudio

package audio

import "github.com/gordonklaus/portaudio"

// backendName needs no initialised PortAudio: Pa_GetVersionText is static.
func backendName() string { return portaudio.VersionText() }
