package doctor

import (
	"context"
	"time"

	"github.com/openbpclient/bpclient/helper/refusals"
	"github.com/openbpclient/bpclient/installer"
	"github.com/openbpclient/bpclient/nativemsg"
)

// Options wire the standard checks. Roots is required; a nil probe
// leaves its check out.
type Options struct {
	Roots Roots
	// Browsers to check; empty means all.
	Browsers []nativemsg.Browser
	// RunHost runs the host a manifest names; nil means RunHost.
	RunHost HostRunner
	// Agent asks the running agent (the CLI's probe; the agent answers
	// for itself).
	Agent AgentProbe
	// Autostart reports the start at login; see InstallerAutostart.
	Autostart AutostartProbe
	// Pages is the log of the pages' minHelperVersion; nil leaves the
	// update check out.
	Pages *PageLog
	// Refusals is the log of the pages the agent refused; nil leaves
	// the refusal check out.
	Refusals *refusals.Log
	// Phone reports the phone's registration history; nil leaves the
	// phone check out.
	Phone PhoneProbe
	// Network says which phone server to probe; nil leaves the network
	// checks out.
	Network NetworkProbe
	// Quality reports the last calls' quality; nil leaves the quality
	// check out.
	Quality QualityProbe
	// Audio reports the sound system; nil leaves the audio checks out.
	Audio AudioProbe
	// HostLog is BPClient.log, where the agent notes the version of each
	// bpclient-host that connects; "" leaves the host version check out.
	HostLog string
	// ScreenEncoder says why the screen cannot be encoded (see
	// ProbeScreenCapture): the screen worker is missing, say; nil, or
	// nil returned: it can.
	ScreenEncoder func() error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Standard is the doctor of `bpclient doctor` and helper.doctor: its
// checks in the order people read them, from "is it installed" to "is
// the page's version served".
func Standard(o Options) *Doctor {
	checks := []Check{ManifestChecks(o.Roots, o.Browsers, o.RunHost)}
	if o.Agent != nil {
		checks = append(checks, AgentCheck(o.Agent))
	}
	if o.HostLog != "" {
		checks = append(checks, HostVersionCheck(o.HostLog))
	}
	if o.Autostart != nil {
		checks = append(checks, AutostartCheck(o.Autostart))
	}
	checks = append(checks, PolicyChecks(o.Roots, o.Browsers), ExtensionChecks(o.Roots, o.Browsers))
	if o.Pages != nil {
		checks = append(checks, UpdateCheck(o.Pages))
	}
	if o.Refusals != nil {
		checks = append(checks, RefusalCheck(o.Refusals, o.Now))
	}
	if o.Phone != nil {
		checks = append(checks, PhoneCheck(o.Phone))
	}
	if o.Network != nil {
		checks = append(checks, NetworkCheck(o.Network))
	}
	if o.Quality != nil {
		checks = append(checks, QualityCheck(o.Quality), ConnectionCheck(o.Quality))
	}
	if o.Audio != nil {
		checks = append(checks, AudioChecks(o.Audio))
	}
	checks = append(checks, ScreenCaptureCheck(o.Roots.Getenv, o.ScreenEncoder))
	checks = append(checks, MicrophonePermissionCheck(o.Roots))
	if o.Quality != nil {
		checks = append(checks, MicrophoneCheck(o.Quality))
	}
	return New(o.Now, checks...)
}

// InstallerAutostart asks the installer, with the environment of roots,
// how the agent starts at login.
func InstallerAutostart(roots Roots) AutostartProbe {
	return func(ctx context.Context) installer.AutostartStatus {
		in, err := installer.New(installer.WithEnv(roots.Getenv))
		if err != nil {
			return installer.AutostartStatus{Kind: "unknown", Installed: true, Problem: err.Error()}
		}
		st, err := in.Status(ctx, []nativemsg.Browser{nativemsg.Chrome})
		if err != nil {
			return installer.AutostartStatus{Kind: "unknown", Installed: true, Problem: err.Error()}
		}
		return st.Autostart
	}
}
