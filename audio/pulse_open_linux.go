package audio

import "os"

// openPulse connects to the user's PulseAudio-protocol server:
// PULSE_SERVER, else the socket in XDG_RUNTIME_DIR.
func openPulse() (eventBackend, BackendInfo, error) {
	host, _ := os.Hostname()
	b, err := newPulseBackend(pulseServers(os.Getenv("PULSE_SERVER"), os.Getenv("XDG_RUNTIME_DIR"), host))
	if err != nil {
		return nil, BackendInfo{}, err
	}
	server, addr := b.server()
	return b, BackendInfo{Name: BackendPulse, Description: "PulseAudio protocol, server: " + server,
		Server: server, Address: addr.String()}, nil
}
