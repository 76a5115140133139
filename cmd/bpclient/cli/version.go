package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/openbpclient/bpclient/audio"
	"github.com/openbpclient/bpclient/audio/codec"
	"github.com/openbpclient/bpclient/version"
)

func versionCommand() *command {
	var asJSON, verbose bool
	return &command{
		usage: "bpclient version [--verbose] [--json]",
		help: `Prints bpclient's version, the API protocol version, and the OS and
architecture it was built for. --verbose adds what support staff ask
first about a softphone without sound: the audio backend in use and why
(on Linux the PulseAudio protocol, with the server: "pulseaudio 16.1",
"PipeWire 0.3.65 via pipewire-pulse"; else PortAudio and its version), or
why there is none, whether it finds devices on this machine (host APIs,
number of inputs and outputs), and the codecs it can offer.`,
		setFlags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print as JSON")
			fs.BoolVar(&verbose, "verbose", false, "also report audio and codecs")
		},
		run: func(ctx context.Context, env Env, args []string) error {
			if len(args) > 0 {
				return usagef("version takes no arguments")
			}
			var b buildInfo
			if verbose {
				b = probeBuild()
			}
			if asJSON {
				out := map[string]any{
					"version": version.Version, "protocolVersion": version.Protocol,
					"os": runtime.GOOS, "arch": runtime.GOARCH, "go": runtime.Version(),
				}
				if verbose {
					out["audio"], out["codecs"] = b.Audio, b.Codecs
				}
				return json.NewEncoder(env.Stdout).Encode(out)
			}
			fmt.Fprintf(env.Stdout, "bpclient %s (protocol %d, %s/%s, %s)\n", version.Version, version.Protocol, runtime.GOOS, runtime.GOARCH, runtime.Version())
			if verbose {
				fmt.Fprintf(env.Stdout, "audio: %s\n", b.Audio)
				fmt.Fprintf(env.Stdout, "codecs: %s\n", strings.Join(b.Codecs, " "))
			}
			return nil
		},
	}
}

// buildInfo is what `version --verbose` reports beyond the version.
type buildInfo struct {
	Audio  audioInfo `json:"audio"`
	Codecs []string  `json:"codecs"` // "opus/48000/2", "PCMU/8000": offer order
}

type audioInfo struct {
	Available bool `json:"available"` // devices can be listed on this machine
	// Backend is the backend in use ("PulseAudio protocol, server:
	// pulseaudio 16.1", or PortAudio's version), else the linked library.
	Backend       string   `json:"backend,omitempty"`
	BackendName   string   `json:"backendName,omitempty"`   // "pulse" or "portaudio"
	BackendReason string   `json:"backendReason,omitempty"` // why that one
	Server        string   `json:"server,omitempty"`        // the sound server, on the PulseAudio backend
	HostAPIs      []string `json:"hostApis,omitempty"`
	Inputs        int      `json:"inputs"`
	Outputs       int      `json:"outputs"`
	Error         string   `json:"error,omitempty"` // why not available
}

func (a audioInfo) String() string {
	if !a.Available {
		if a.Backend == "" {
			return "unavailable: " + a.Error
		}
		return fmt.Sprintf("unavailable: %s: %s", a.Backend, a.Error)
	}
	return fmt.Sprintf("available: %s (%s); host APIs: %s; %s, %s",
		a.Backend, a.BackendReason, strings.Join(a.HostAPIs, ", "), count(a.Inputs, "input"), count(a.Outputs, "output"))
}

// count says "1 input", "3 inputs".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// probeBuild opens the audio system once to list the devices and names the
// compiled-in codecs.
func probeBuild() buildInfo {
	var b buildInfo
	for _, c := range codec.Available() {
		i := c.Info()
		s := fmt.Sprintf("%s/%d", i.Name, i.ClockRate)
		if i.Channels > 1 {
			s += fmt.Sprintf("/%d", i.Channels)
		}
		b.Codecs = append(b.Codecs, s)
	}
	b.Audio.Backend = audio.Backend()
	var l audio.DeviceList
	sys, err := audio.OpenWithin(audioOpenTimeout, backendOption())
	if err == nil {
		info := sys.Backend()
		b.Audio.Backend, b.Audio.BackendName, b.Audio.BackendReason, b.Audio.Server = info.Description, info.Name, info.Reason, info.Server
		l, err = sys.Devices()
		sys.Close()
	}
	switch {
	case err != nil:
		b.Audio.Error = err.Error()
	case len(l.Inputs)+len(l.Outputs) == 0:
		b.Audio.Error = "no audio devices found"
	default:
		b.Audio.Available = true
	}
	b.Audio.HostAPIs = l.HostAPIs
	b.Audio.Inputs, b.Audio.Outputs = len(l.Inputs), len(l.Outputs)
	return b
}
