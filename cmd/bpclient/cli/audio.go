package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/audio"
	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/audioapi"
	"github.com/openbpclient/bpclient/helper/paths"
)

// audioOpenTimeout bounds how long the agent waits for the sound system
// before it serves without audio: pages must get their answers even when
// a sound driver hangs.
const audioOpenTimeout = 10 * time.Second

// startAudio registers the audio service with the agent and runs its
// device watcher; the returned function stops it and releases the
// devices. Without audio (no cgo, no devices) the service still answers,
// with an error that says why.
func startAudio(ctx context.Context, srv *agent.Server, log zerolog.Logger, mayChange func(*agent.Call) bool) (stop func(), svc *audioapi.Service, sys *audio.System, err error) {
	// On the PulseAudio backend the device list and its changes come from
	// the sound server's events. On PortAudio, with a watcher (a child
	// enumerates), PortAudio (and the ALSA plugins, JACK and PulseAudio
	// clients it loads) starts with the first stream, a call's or the
	// ringer's; until then the device list comes from the child. Without
	// one, it starts now.
	exe, exeErr := os.Executable()
	cfg, err := paths.ConfigDir()
	if err != nil {
		return nil, nil, nil, err
	}
	// The sound libraries' complaints (no card, no JACK server) belong in
	// BPClient.log for support staff, never on a terminal.
	opts := []audio.Option{audio.WithLibraryLog(func(line string) {
		log.Debug().Str("library", line).Msg("sound library")
	}), audio.WithBackend(configuredBackend(cfg))}
	if exeErr == nil {
		opts = append(opts, audio.Lazy(audioOpenTimeout))
	}
	sys, openErr := audio.OpenWithin(audioOpenTimeout, opts...)
	if openErr != nil {
		log.Warn().Err(openErr).Msg("audio unavailable")
	} else {
		b := sys.Backend()
		log.Info().Str("backend", b.Description).Str("reason", b.Reason).Msg("audio backend")
	}
	o := audioapi.Options{System: sys, OpenErr: openErr, ConfigDir: cfg, Events: srv, Logger: log, MayChange: mayChange}
	if exeErr == nil && sys != nil && !sys.HasDeviceEvents() {
		// A child process enumerates: re-initialising PortAudio here
		// would close the streams of a call in progress.
		o.Enumerate = audio.ChildEnumerator(exe, "devices", "--json")
		// A child costs tens of milliseconds of CPU: enumerate only when
		// the cheap signature of the sound setup changed.
		o.WatchProbe = audio.NewDeviceProbe()
	}
	svc = audioapi.New(o)
	if err := srv.Register(svc); err != nil {
		if sys != nil {
			sys.Close()
		}
		return nil, nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := svc.Run(ctx); err != nil {
			log.Warn().Err(err).Msg("audio watcher")
		}
	}()
	return func() {
		cancel()
		<-done
		if sys != nil {
			sys.Close()
		}
	}, svc, sys, nil
}

func audioCommand() *command {
	var (
		input, output string
		seconds       float64
		asJSON        bool
	)
	setFlags := func(fs *flag.FlagSet) {
		fs.StringVar(&input, "input", input, "microphone device id")
		fs.StringVar(&output, "output", output, "speaker or headset device id")
		fs.Float64Var(&seconds, "seconds", 5, "how long to test")
		fs.BoolVar(&asJSON, "json", asJSON, "print JSON lines instead of a meter")
	}
	return &command{
		usage: "bpclient audio test [--input ID] [--output ID] [--seconds N] [--json]",
		help: `Plays a 1 kHz tone on the output and shows the microphone's level
(RMS and peak, dBFS) as a live meter until the time is up. Device ids come
from 'bpclient devices'; without --input/--output the saved selection
(audio.select) is used, else the system defaults. With --json it prints one
JSON object per reading ({"rmsDbfs","peakDbfs","clipped","samples"}) and
a last one with the result.`,
		setFlags: setFlags,
		run: func(ctx context.Context, env Env, args []string) error {
			if len(args) == 0 || args[0] != "test" {
				return usagef("audio takes the subcommand test")
			}
			// Flags may also follow the subcommand.
			fs := flag.NewFlagSet("audio test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			setFlags(fs)
			if err := fs.Parse(args[1:]); err != nil {
				return usagef("%v", err)
			}
			if fs.NArg() > 0 {
				return usagef("unexpected %q", fs.Arg(0))
			}
			if seconds <= 0 || seconds > 600 {
				return usagef("--seconds must be between 0 and 600")
			}
			if cfg, err := paths.ConfigDir(); err == nil {
				if sel, err := audioapi.LoadSelection(cfg); err == nil {
					if input == "" {
						input = sel.Input
					}
					if output == "" {
						output = sel.Output
					}
				}
			}
			sys, err := openAudio()
			if err != nil {
				return err
			}
			defer sys.Close()
			enc := json.NewEncoder(env.Stdout)
			o := audio.TestOptions{Input: input, Output: output, Duration: time.Duration(seconds * float64(time.Second))}
			o.OnLevel = func(l dsp.Level) {
				if asJSON {
					enc.Encode(l)
					return
				}
				fmt.Fprintf(env.Stdout, "\r%s", meterLine(l))
			}
			res, err := audio.SelfTest(ctx, sys, o)
			if err != nil {
				return err
			}
			if asJSON {
				return enc.Encode(map[string]any{"result": res})
			}
			fmt.Fprintf(env.Stdout, "\nmicrophone %s, speaker %s: loudest %.1f dBFS RMS, %.1f dBFS peak over %.1f s\n",
				res.Input, res.Output, res.Max.RMSDBFS, res.Max.PeakDBFS, res.Seconds)
			if res.Max.PeakDBFS <= dsp.MinDBFS+1 {
				fmt.Fprintln(env.Stdout, "the microphone gave only silence: is it muted or unplugged?")
			}
			return nil
		},
	}
}

// configuredBackend is the audio backend named in the user's audio.json
// ("backend"; support staff edit it), "" when none is.
func configuredBackend(cfg string) string {
	sel, err := audioapi.LoadSelection(cfg)
	if err != nil {
		return ""
	}
	return sel.Backend
}

// openAudio opens the audio system for a command, with the configured
// backend.
func openAudio() (*audio.System, error) { return audio.Open(backendOption()) }

// backendOption is the backend configured in the user's audio.json.
func backendOption() audio.Option {
	cfg, err := paths.ConfigDir()
	if err != nil {
		return audio.WithBackend("")
	}
	return audio.WithBackend(configuredBackend(cfg))
}

// meterLine draws a level as a bar from -60 to 0 dBFS.
func meterLine(l dsp.Level) string {
	const width = 40
	n := int(math.Round((l.RMSDBFS + 60) / 60 * width))
	n = max(0, min(width, n))
	pk := int(math.Round((l.PeakDBFS + 60) / 60 * width))
	pk = max(0, min(width-1, pk))
	bar := []byte(strings.Repeat("#", n) + strings.Repeat(" ", width-n))
	if bar[pk] == ' ' {
		bar[pk] = '|'
	}
	return fmt.Sprintf("[%s] rms %6.1f dBFS  peak %6.1f dBFS", bar, l.RMSDBFS, l.PeakDBFS)
}
