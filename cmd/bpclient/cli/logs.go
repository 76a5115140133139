package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/openbpclient/bpclient/helper/support"
)

func logsCommand() *command {
	var (
		out           string
		since         time.Duration
		redactNumbers bool
		maxMB         int
		upload        bool
	)
	setFlags := func(fs *flag.FlagSet) {
		fs.StringVar(&out, "o", "", "the zip to write (default: bpclient-logs-DATE-TIME.zip here)")
		fs.DurationVar(&since, "since", 24*time.Hour, "leave out log lines older than this")
		fs.BoolVar(&redactNumbers, "redact-numbers", false, "mask phone numbers and SIP user names")
		fs.IntVar(&maxMB, "max-mb", support.DefaultLimit>>20, "the largest zip to write, in MiB")
		fs.BoolVar(&upload, "upload", false, "also send the zip to the administrator's supportUploadUrl (https)")
	}
	return &command{
		usage: "bpclient logs collect [-o FILE.zip] [--since 24h] [--redact-numbers] [--max-mb 25] [--upload]",
		help: `'bpclient logs collect' writes one zip for support staff: BPClient.log and
its rotated copies (the lines of the last --since), doctor --json,
version --verbose, the sound devices, the administrator's and your own
policy, the browsers' host manifests and the start at login, facts of
the OS, the phone's registration history, and for the last calls their
quality over time as CSV and as a picture (quality.png).

The zip is at most --max-mb megabytes: when the logs do not fit, their
oldest lines are left out (MANIFEST.json in the zip says what was).
Passwords, digest responses, SRTP and DTLS keys and tokens are never in
it. --redact-numbers also masks phone numbers and the user part of SIP
addresses. The file is readable by you only. --upload also sends it to
the https address the administrator's policy names (supportUploadUrl).`,
		setFlags: setFlags,
		run: func(ctx context.Context, env Env, args []string) error {
			if len(args) == 0 || args[0] != "collect" {
				return usagef("usage: bpclient logs collect [-o FILE.zip] [--since 24h] [--redact-numbers]")
			}
			// The flags may follow the word "collect" too.
			fs := flag.NewFlagSet("logs collect", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			setFlags(fs)
			if err := fs.Parse(args[1:]); err != nil {
				return usagef("%v", err)
			}
			if fs.NArg() > 0 {
				return usagef("logs collect takes no arguments")
			}
			if since <= 0 || maxMB <= 0 {
				return usagef("--since and --max-mb must be positive")
			}
			now := time.Now()
			if out == "" {
				out = "bpclient-logs-" + now.Format("20060102-150405") + ".zip"
			}
			size, err := collectBundle(ctx, out, bundleOptions{since: now.Add(-since), maskNumbers: redactNumbers,
				limit: int64(maxMB) << 20, now: now})
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "wrote %s (%d bytes)\n", out, size)
			if upload {
				host, err := uploadBundle(ctx, out)
				if err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "uploaded to %s\n", host)
			}
			return nil
		},
	}
}

type bundleOptions struct {
	since       time.Time
	maskNumbers bool
	limit       int64
	now         time.Time
}

// collectBundle writes the bundle to path through a temporary file
// beside it, so that a half-written zip is never left under its name,
// and returns its size.
func collectBundle(ctx context.Context, path string, o bundleOptions) (int64, error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".bpclient-logs-*.zip")
	if err != nil {
		return 0, fmt.Errorf("logs collect: %w", err)
	}
	// CreateTemp makes it 0600: it holds the numbers called and the
	// account's names, the user's alone.
	defer os.Remove(tmp.Name()) // harmless after the rename
	b := support.NewBundle(tmp, o.limit, support.Scrubber{MaskNumbers: o.maskNumbers}, o.now)
	gatherBundle(ctx, b, o)
	if err := b.Close(); err != nil {
		tmp.Close()
		return 0, fmt.Errorf("logs collect: %w", err)
	}
	size := b.Size()
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("logs collect: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, fmt.Errorf("logs collect: %w", err)
	}
	return size, nil
}
