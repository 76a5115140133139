package audio

import (
	"net"
	"path/filepath"
	"strings"
)

// pulseAddr is one place a PulseAudio-protocol server may listen.
type pulseAddr struct {
	network string // "unix", "tcp", "tcp4" or "tcp6"
	addr    string
}

func (a pulseAddr) String() string { return a.network + ":" + a.addr }

// pulseDefaultPort is the native protocol's TCP port.
const pulseDefaultPort = "4713"

// parsePulseServer reads a server string as PULSE_SERVER takes it
// (PulseAudio's "ServerStrings"): addresses separated by blanks, each
// "unix:PATH", "/PATH", "tcp:HOST[:PORT]", "tcp4:…", "tcp6:…" or a bare
// HOST, optionally after "{MACHINE}" (used only on that machine, here
// compared with the host name). Entries it cannot use are skipped.
func parsePulseServer(s, hostname string) []pulseAddr {
	var out []pulseAddr
	for _, f := range strings.Fields(s) {
		if strings.HasPrefix(f, "{") {
			end := strings.IndexByte(f, '}')
			if end < 0 {
				continue
			}
			if f[1:end] != hostname {
				continue
			}
			f = f[end+1:]
		}
		switch {
		case f == "":
		case strings.HasPrefix(f, "/"):
			out = append(out, pulseAddr{"unix", f})
		case strings.HasPrefix(f, "unix:"):
			if p := f[len("unix:"):]; p != "" {
				out = append(out, pulseAddr{"unix", p})
			}
		case strings.HasPrefix(f, "tcp4:"), strings.HasPrefix(f, "tcp6:"), strings.HasPrefix(f, "tcp:"):
			network, host, _ := strings.Cut(f, ":")
			if a, ok := pulseTCP(network, host); ok {
				out = append(out, a)
			}
		case strings.Contains(f, ":") && !strings.HasPrefix(f, "["):
			// Another protocol prefix (PulseAudio knows none we speak).
			if h, p, err := net.SplitHostPort(f); err == nil && h != "" && p != "" {
				out = append(out, pulseAddr{"tcp", f})
			}
		default:
			if a, ok := pulseTCP("tcp", f); ok {
				out = append(out, a)
			}
		}
	}
	return out
}

// pulseTCP adds the default port to a host that has none.
func pulseTCP(network, hostport string) (pulseAddr, bool) {
	if hostport == "" {
		return pulseAddr{}, false
	}
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		if h == "" || p == "" {
			return pulseAddr{}, false
		}
		return pulseAddr{network, hostport}, true
	}
	host := strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
	if host == "" || strings.ContainsAny(host, "[]") {
		return pulseAddr{}, false
	}
	return pulseAddr{network, net.JoinHostPort(host, pulseDefaultPort)}, true
}

// pulseServers is where to look for the server: PULSE_SERVER when set,
// else the user's runtime dir (where PulseAudio and pipewire-pulse put
// their socket).
func pulseServers(pulseServer, runtimeDir, hostname string) []pulseAddr {
	if pulseServer != "" {
		return parsePulseServer(pulseServer, hostname)
	}
	if runtimeDir == "" {
		return nil
	}
	return []pulseAddr{{"unix", filepath.Join(runtimeDir, "pulse", "native")}}
}
