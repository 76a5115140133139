//go:build !linux || !cgo || noportaudio

package audio

// Elsewhere the sound libraries PortAudio uses (WASAPI, MME, CoreAudio)
// do not write to stderr.
func quietLibraries() {}

func takeLibraryChatter() []string { return nil }
