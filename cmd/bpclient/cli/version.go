package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"runtime"

	"github.com/openbpclient/bpclient/version"
)

func versionCommand() *command {
	var asJSON bool
	return &command{
		name:     "version",
		synopsis: "print the version",
		usage:    "bpclient version [--json]",
		help:     "Prints bpclient's version, the API protocol version, and the OS and architecture it was built for.",
		setFlags: func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print as JSON") },
		run: func(ctx context.Context, env Env, args []string) error {
			if len(args) > 0 {
				return usagef("version takes no arguments")
			}
			if asJSON {
				return json.NewEncoder(env.Stdout).Encode(map[string]any{
					"version": version.Version, "protocolVersion": version.Protocol,
					"os": runtime.GOOS, "arch": runtime.GOARCH, "go": runtime.Version(),
				})
			}
			fmt.Fprintf(env.Stdout, "bpclient %s (protocol %d, %s/%s, %s)\n", version.Version, version.Protocol, runtime.GOOS, runtime.GOARCH, runtime.Version())
			return nil
		},
	}
}
