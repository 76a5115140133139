package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/openbpclient/bpclient/audio"
	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/helper/ipc"
	"github.com/openbpclient/bpclient/helper/paths"
	"github.com/openbpclient/bpclient/helper/support"
	"github.com/openbpclient/bpclient/installer"
	"github.com/openbpclient/bpclient/version"
)

// maxConfigFile bounds what is read of a policy, manifest or unit file:
// each is a few hundred bytes.
const maxConfigFile = 1 << 20

// gatherBundle adds to b, in the order a support person reads them, the
// small entries first and the logs last, so that the logs are what the
// size limit cuts. What cannot be gathered is noted in the bundle's
// manifest rather than failing the bundle.
func gatherBundle(ctx context.Context, b *support.Bundle, o bundleOptions) {
	roots := doctor.DefaultRoots()
	pages, err := doctorPages()
	refusals, rerr := doctorRefusals()
	if err == nil && rerr == nil {
		d := doctor.Standard(doctor.Options{Pages: pages, Refusals: refusals, Roots: roots, Agent: cliAgent{}.Status,
			Autostart: doctor.InstallerAutostart(roots), Phone: agentPhoneProbe, Network: agentPhoneTarget, Quality: agentQualityProbe,
			HostLog: hostLog(), ScreenEncoder: screenEncoder})
		b.AddJSON("doctor.json", d.Run(ctx, doctor.View{Local: true}))
	} else {
		b.Missing("doctor.json", errors.Join(err, rerr))
	}
	bi := probeBuild()
	b.AddJSON("version.json", map[string]any{"version": version.Version, "protocolVersion": version.Protocol,
		"os": runtime.GOOS, "arch": runtime.GOARCH, "go": runtime.Version(), "audio": bi.Audio, "codecs": bi.Codecs})
	addDevices(b)
	b.AddJSON("os.json", support.CollectOSFacts())
	addPolicies(b)
	addInstall(ctx, b)
	logFile, err := paths.LogFile()
	if err != nil {
		b.Missing("logs", err)
		addHistory(ctx, b, nil, o.since)
		return
	}
	files, err := support.LogFiles(logFile, o.since)
	if err != nil {
		b.Missing("logs", err)
	}
	addHistory(ctx, b, files, o.since)
	b.AddLogs(files, o.since)
}

func addDevices(b *support.Bundle) {
	sys, err := audio.OpenWithin(audioOpenTimeout)
	if err != nil {
		b.Missing("devices.json", err)
		return
	}
	defer sys.Close()
	l, err := sys.Devices()
	if err != nil {
		b.Missing("devices.json", err)
		return
	}
	b.AddJSON("devices.json", l)
}

// addPolicies adds the policy files as they are written (scrubbed), and
// the policy the agent decides with.
func addPolicies(b *support.Bundle) {
	if f := paths.AdminPolicyFile(); f != "" {
		addFile(b, "policy/admin.json", f)
	}
	store, err := policyStore()
	if err != nil {
		b.Missing("policy/user.json", err)
		return
	}
	addFile(b, "policy/user.json", store.UserFile)
	pol, warns, err := store.Load()
	if err != nil {
		b.Missing("policy/effective.json", err)
		return
	}
	w := make([]string, 0, len(warns))
	for _, e := range warns {
		w = append(w, e.Error())
	}
	b.AddJSON("policy/effective.json", map[string]any{"policy": pol, "warnings": w})
}

// addInstall adds what `bpclient status` says, each browser's manifest
// and the start at login's unit or plist.
func addInstall(ctx context.Context, b *support.Bundle) {
	in, err := installer.New()
	if err != nil {
		b.Missing("install/status.json", err)
		return
	}
	st, err := in.Status(ctx, nil)
	if err != nil {
		b.Missing("install/status.json", err)
		return
	}
	b.AddJSON("install/status.json", st)
	for _, m := range st.Manifests {
		if m.Present {
			addFile(b, "install/manifest-"+m.Browser+".json", m.File)
		}
	}
	if st.Autostart.Installed && st.Autostart.Where != "" {
		if info, err := os.Stat(st.Autostart.Where); err == nil && info.Mode().IsRegular() {
			addFile(b, "install/autostart-"+filepath.Base(st.Autostart.Where), st.Autostart.Where)
		}
	}
}

// addFile adds a small text file; an absent one is noted.
func addFile(b *support.Bundle, name, path string) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			err = errors.New("no such file")
		}
		b.Missing(name, err)
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigFile))
	if err != nil {
		b.Missing(name, err)
		return
	}
	b.AddText(name, data)
}

// addHistory asks the running agent for the registration and quality
// history, and adds it with each call's CSV and the picture of them all.
// Without an agent, what the log files say of the registration and the
// calls stands in (their quality from the agent's "quality" lines).
func addHistory(ctx context.Context, b *support.Bundle, logs []string, since time.Time) {
	snap, err := agentHistory(ctx)
	if err != nil {
		b.Missing("history.json", fmt.Errorf("the agent keeps the quality history: %w; history-from-log.json has what the log says", err))
		b.AddJSON("history-from-log.json", support.HistoryFromLog(logs, since))
		return
	}
	b.AddJSON("history.json", snap)
	for i, c := range snap.Calls {
		b.AddText(support.CallFileName(i, c)+".csv", support.QualityCSV(c))
	}
	if len(snap.Calls) == 0 {
		return
	}
	chart, err := chartBeside()
	if err != nil {
		b.Missing("quality.png", err)
		return
	}
	addQualityPicture(ctx, b, chart, snap.Calls, chartTimeout)
}

// agentPhoneProbe is the doctor's phone check from the CLI: the running
// agent keeps the registration history.
func agentPhoneProbe(ctx context.Context) ([]doctor.RegistrationEvent, error) {
	snap, err := agentHistory(ctx)
	if err != nil {
		return nil, err
	}
	return support.RegistrationEvents(snap), nil
}

func agentHistory(ctx context.Context) (support.Snapshot, error) {
	var snap support.Snapshot
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, "")
	if errors.Is(err, ipc.ErrNotOurs) {
		return snap, err
	}
	if err != nil {
		return snap, errors.New("the agent is not running")
	}
	defer c.Close()
	if err := c.Call(ctx, "helper.hello", map[string]string{"client": "bpclient-cli", "clientVersion": version.Version}, nil); err != nil {
		return snap, fmt.Errorf("hello: %w", err)
	}
	if err := c.Call(ctx, "support.history", nil, &snap); err != nil {
		return snap, fmt.Errorf("support.history: %w", err)
	}
	return snap, nil
}
