//go:build !linux

package audio

// openPulse: PortAudio is the backend on this OS.
func openPulse() (eventBackend, BackendInfo, error) {
	return nil, BackendInfo{}, errPulseUnsupported
}
