package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/desktopapi"
	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/helper/ipc"
	"github.com/openbpclient/bpclient/helper/logging"
	"github.com/openbpclient/bpclient/helper/paths"
	"github.com/openbpclient/bpclient/helper/phoneapi"
	"github.com/openbpclient/bpclient/helper/support"
	"github.com/openbpclient/bpclient/screen/capture"
	"github.com/openbpclient/bpclient/version"
)

func agentCommand() *command {
	var verbose bool
	return &command{
		usage: "bpclient agent [--verbose]",
		help: `Runs the BPClient agent for the current user until it is stopped
(SIGTERM, Ctrl-C, or 'bpclient stop'). Browsers reach it through
bpclient-host, which also starts it when it is not running. Only one agent
runs per user: a second one exits with code 3.

Logs go to BPClient.log: $XDG_STATE_HOME/bpclient on Linux,
~/Library/Logs/BPClient on macOS, %LOCALAPPDATA%\\Temp\\logs on Windows.`,
		setFlags: func(fs *flag.FlagSet) {
			fs.BoolVar(&verbose, "verbose", false, "also write the log to stderr")
		},
		run: func(ctx context.Context, env Env, args []string) error {
			if len(args) > 0 {
				return usagef("agent takes no arguments")
			}
			return runAgent(ctx, env, verbose)
		},
	}
}

func runAgent(ctx context.Context, env Env, verbose bool) error {
	logPath, err := paths.LogFile()
	if err != nil {
		return err
	}
	lf, err := logging.OpenRotating(logPath)
	if err != nil {
		return err
	}
	defer lf.Close()
	var w io.Writer = lf
	if verbose {
		w = io.MultiWriter(lf, env.Stderr)
	}
	gate := newLogGate(zerolog.DebugLevel)
	log := logging.New(w, "agent").Hook(gate)

	addr, err := ipc.DefaultAddr()
	if err != nil {
		return err
	}
	ln, err := ipc.Listen(addr)
	if errors.Is(err, ipc.ErrAgentRunning) {
		log.Info().Msg("another agent is already running; exiting")
		return &exitCodeError{code: exitAgentRunning, err: fmt.Errorf("%w (endpoint %s)", err, addr)}
	}
	if err != nil {
		log.Error().Err(err).Msg("cannot listen")
		return err
	}
	store, err := policyStore()
	if err != nil {
		ln.Close()
		return err
	}
	log.Info().Str("version", version.Version).Str("log", logPath).Msg("agent starting")
	// The X library's lines (a display gone, no ~/.Xauthority) belong in
	// BPClient.log, never on a terminal: those of the screen capture's
	// and the idle time's connections alike.
	capture.LibraryLog(func(line string) { log.Debug().Str("library", line).Msg("X library") })
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	pages, err := doctorPages()
	if err != nil {
		ln.Close()
		return err
	}
	refusals, err := doctorRefusals()
	if err != nil {
		ln.Close()
		return err
	}
	roots := doctor.DefaultRoots()
	// The support bundle's registration and quality history is kept
	// from the phone's events on their way to the pages; the last calls'
	// summaries outlive the agent in its state folder.
	history, err := openSupportHistory(log)
	if err != nil {
		ln.Close()
		return err
	}
	// The sound devices follow the phone's owner; phone is set before the
	// server serves its first request.
	var phone *phoneapi.Service
	// The doctor's network and audio checks read the phone and the sound
	// system, which start below, before the first request.
	late := &lateProbes{}
	doc := doctor.Standard(doctor.Options{Roots: roots, Agent: doctor.SelfAgent, Autostart: doctor.InstallerAutostart(roots), Pages: pages,
		Refusals: refusals, Phone: history.PhoneProbe, Quality: history.QualityProbe, Network: late.network, Audio: late.audio,
		HostLog: logPath, ScreenEncoder: screenEncoder})
	srv := agent.New(agent.Options{Policy: store, Logger: log, Shutdown: stop, Doctor: doc, Pages: pages, Refusals: refusals})
	stopAudio, audioSvc, audioSys, err := startAudio(ctx, srv, log, func(c *agent.Call) bool { return phone.Controls(c) })
	if err != nil {
		ln.Close()
		return err
	}
	defer stopAudio()
	late.audioSys, late.audioSvc = audioSys, audioSvc
	popups, err := startPopups(ctx, srv, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer popups.Close()
	presence, err := startPresence(srv, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer presence.Close()
	phone = phoneapi.New(phoneapi.Options{Logger: log, Events: support.Recorder{Next: srv, History: history}, Ringer: audioSvc, Policy: store, Popups: popups,
		Audio: phoneapi.DeviceAudio(audioSys, func() (string, string) {
			sel := audioSvc.Selected()
			return sel.Input, sel.Output
		})})
	defer phone.Close()
	screen, err := startScreen(srv, log, w, gate)
	if err != nil {
		ln.Close()
		return err
	}
	defer screen.Close()
	late.phone = phone
	desktop := desktopapi.New(desktopapi.Options{Logger: log, Events: srv, Screen: screen})
	for _, svc := range []agent.Service{phone, &logService{gate: gate, log: log}, desktop, &support.Service{History: history},
		&support.Collector{Collect: collectInChild, Downloads: support.DownloadsDir, Events: srv}} {
		if err := srv.Register(svc); err != nil {
			ln.Close()
			return err
		}
	}
	// A spool an earlier agent left starts the screen worker to upload.
	screen.Start()
	return srv.Serve(ctx, ln)
}
