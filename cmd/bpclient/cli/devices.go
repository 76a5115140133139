package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/openbpclient/bpclient/audio"
)

func devicesCommand() *command {
	var asJSON bool
	return &command{
		usage: "bpclient devices [--json]",
		help: `Lists the host APIs and the audio devices the audio backend sees now
(the sound server's sinks and sources on the PulseAudio backend,
PortAudio's devices otherwise), with ids that stay the same across
restarts ("<host API>:<name>#<n>"), their channels and default rates, and
which are the system defaults. On PortAudio the agent runs 'bpclient
devices --json' in a short-lived child process to notice devices coming
and going without disturbing a call; the PulseAudio backend has the
server's events instead.`,
		setFlags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print the list as JSON")
		},
		run: func(ctx context.Context, env Env, args []string) error {
			if len(args) > 0 {
				return usagef("devices takes no arguments")
			}
			sys, err := openAudio()
			if err != nil {
				return err
			}
			defer sys.Close()
			l, err := sys.Devices()
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(env.Stdout).Encode(l)
			}
			fmt.Fprintf(env.Stdout, "host APIs: %v\n", l.HostAPIs)
			for _, g := range []struct {
				title string
				devs  []audio.Device
			}{{"inputs", l.Inputs}, {"outputs", l.Outputs}} {
				fmt.Fprintf(env.Stdout, "%s:\n", g.title)
				for _, d := range g.devs {
					def := " "
					if d.Default {
						def = "*"
					}
					fmt.Fprintf(env.Stdout, " %s %-40s %d ch, %g Hz\n", def, d.ID, d.Channels, d.DefaultRate)
				}
			}
			return nil
		},
	}
}
