//go:build !cgo || noportaudio

package audio

func backendName() string { return "" }
