// Command bpclient-screen records the screen and streams it to a
// supervisor: the agent's screen services (helper/screenapi,
// helper/monitorapi) and their shared capture, in a process of their
// own. The agent (bpclient agent) starts it from its own folder when a
// page first asks for screen.*, and at start when the upload spool holds
// segments, and ends it when it has been idle (helper/screenproxy).
//
// It is a program of its own so that the agent does not link libvpx and
// pion's WebRTC (2.5 MB of every idle agent's memory), and so that a
// crash of either ends no call. It speaks to the agent on its stdin and
// stdout only; its log lines go to stderr, which the agent writes into
// BPClient.log.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/desktop/notify"
	"github.com/openbpclient/bpclient/helper/logging"
	"github.com/openbpclient/bpclient/helper/monitorapi"
	"github.com/openbpclient/bpclient/helper/paths"
	"github.com/openbpclient/bpclient/helper/policy"
	_ "github.com/openbpclient/bpclient/helper/safedll" // Windows: system DLLs from System32 only
	"github.com/openbpclient/bpclient/helper/screenapi"
	"github.com/openbpclient/bpclient/helper/screenproxy"
	"github.com/openbpclient/bpclient/screen/capture"
	"github.com/openbpclient/bpclient/version"
)

// idleFor is how long the worker stays with nothing to do (no
// recording, monitoring or view, an empty spool) before it tells the
// agent, which then ends it.
const idleFor = 5 * time.Second

// exitUsage: run by hand, not by the agent.
const exitUsage = 2

func main() {
	// Ctrl-C in the agent's terminal reaches this process too: the agent
	// ends it (its stdin closes), so that a recording stops in order.
	signal.Ignore(os.Interrupt)
	// An agent that has gone (killed) leaves broken pipes: writes to them
	// fail instead of ending this process, which stops in order when its
	// stdin ends (a recording spools its last segment).
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string) int {
	if len(args) > 0 {
		if args[0] == "version" || args[0] == "--version" {
			fmt.Println(screenproxy.Program, version.Version)
			return 0
		}
		fmt.Fprintln(os.Stderr, "usage: bpclient-screen (started by the BPClient agent; it takes no arguments)")
		return exitUsage
	}
	out := protocolOut()
	log := logging.New(os.Stderr, "screen")
	if err := serve(ctx, out, log); err != nil {
		log.Error().Err(err).Msg("screen worker")
		return 1
	}
	return 0
}

func serve(ctx context.Context, out io.Writer, log zerolog.Logger) error {
	user, err := paths.UserPolicyFile()
	if err != nil {
		return err
	}
	store := &policy.Store{UserFile: user}
	var note notify.Notifier
	octx, cancel := context.WithTimeout(ctx, 3*time.Second)
	n, nerr := notify.Open(octx, notify.Options{})
	cancel()
	if nerr == nil {
		note = n
		defer func() { _ = n.Stop() }()
	} else {
		log.Debug().Err(nerr).Msg("no notifications: no recording or monitoring indicator")
	}
	var recInd screenapi.Indicator
	var monInd monitorapi.Indicator
	if note != nil {
		recInd, monInd = note, note
	}
	// The X library's lines go to the log, never to a terminal.
	capture.LibraryLog(func(line string) { log.Debug().Str("library", line).Msg("X library") })
	// One capture of the screen for recording and live monitoring.
	feeds := newScreenFeeds(log)
	defer feeds.Close()
	w := screenproxy.NewWorker(out, log)
	monitor := startMonitor(w, log, store, monInd, feeds)
	defer monitor.Close()
	rec, err := startScreen(w, store, log, feeds, recInd)
	if err != nil {
		return err
	}
	defer rec.Close()
	w.Register(captureStatus{feeds})
	w.Register(monitor)
	w.Register(rec)
	w.SetRecorder(rec)
	log.Info().Str("version", version.Version).Msg("screen worker starting")
	return w.Serve(ctx, os.Stdin, idleFor)
}
