package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"strings"
	"time"

	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/ipc"
	"github.com/openbpclient/bpclient/installer"
	"github.com/openbpclient/bpclient/nativemsg"
	"github.com/openbpclient/bpclient/version"
)

// browsersFlag is --browsers: a comma-separated list, "all" by default.
type browsersFlag struct{ list []nativemsg.Browser }

func (f *browsersFlag) String() string {
	if f == nil || len(f.list) == 0 {
		return "all"
	}
	s := make([]string, len(f.list))
	for i, b := range f.list {
		s[i] = string(b)
	}
	return strings.Join(s, ",")
}

func (f *browsersFlag) Set(v string) error {
	l, err := nativemsg.ParseBrowsers(v)
	if err != nil {
		return err
	}
	f.list = l
	return nil
}

// stringsFlag is a repeatable string flag.
type stringsFlag []string

func (f *stringsFlag) String() string { return strings.Join(*f, ",") }
func (f *stringsFlag) Set(v string) error {
	*f = append(*f, v)
	return nil
}

const browsersHelp = "browsers to register with, comma-separated: chrome,chromium,edge,brave,vivaldi,firefox or all"

func installCommand() *command {
	var (
		o      installer.InstallOptions
		br     browsersFlag
		ids    stringsFlag
		asJSON bool
	)
	return &command{
		usage: "bpclient install [--browsers LIST] [--host PATH] [--agent PATH] [--extension-id ID]... [--no-autostart] [--json]",
		help: `Writes the native-messaging host manifest (` + nativemsg.HostName + `) where each
browser looks for it for this user, pointing at bpclient-host, and
registers "bpclient agent" to start at login: a systemd user unit wanted by
default.target on Linux, a LaunchAgent on macOS, a HKCU Run value on
Windows. Where the service manager can be reached, the agent is started
now. Nothing outside the user's own files and registry hive is touched.

Running it again changes nothing; run it again after moving bpclient.`,
		setFlags: func(fs *flag.FlagSet) {
			fs.Var(&br, "browsers", browsersHelp)
			fs.StringVar(&o.HostPath, "host", "", "path of bpclient-host (default: next to this bpclient)")
			fs.StringVar(&o.AgentPath, "agent", "", "path of the bpclient started at login (default: this bpclient)")
			fs.Var(&ids, "extension-id", "also admit this extension: a Chromium id (32 letters a-p) or a Firefox add-on id; repeatable")
			fs.BoolVar(&o.NoAutostart, "no-autostart", false, "write the manifests only; do not register the agent at login")
			fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
		},
		run: func(ctx context.Context, env Env, args []string) error {
			if len(args) > 0 {
				return usagef("install takes no arguments")
			}
			in, err := installer.New(installer.WithAgent(cliAgent{}))
			if err != nil {
				return err
			}
			o.Browsers, o.ExtensionIDs = br.list, ids
			rep, err := in.Install(ctx, o)
			if perr := printReport(env, rep, asJSON); err == nil {
				err = perr
			}
			return err
		},
	}
}

func uninstallCommand() *command {
	var (
		o      installer.UninstallOptions
		br     browsersFlag
		asJSON bool
	)
	return &command{
		usage: "bpclient uninstall [--browsers LIST] [--keep-autostart] [--json]",
		help: `Removes what 'bpclient install' wrote: the host manifests (and, on Windows,
their registry keys), the agent's start at login, and the folders this
leaves empty. A running agent is stopped. Removing what is not there is
not an error.

On Windows, Brave and Vivaldi read Chrome's registration: removing one of
them removes it for all three.`,
		setFlags: func(fs *flag.FlagSet) {
			fs.Var(&br, "browsers", browsersHelp)
			fs.BoolVar(&o.KeepAutostart, "keep-autostart", false, "leave the start at login and a running agent alone")
			fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
		},
		run: func(ctx context.Context, env Env, args []string) error {
			if len(args) > 0 {
				return usagef("uninstall takes no arguments")
			}
			in, err := installer.New(installer.WithAgent(cliAgent{}))
			if err != nil {
				return err
			}
			o.Browsers = br.list
			rep, err := in.Uninstall(ctx, o)
			if perr := printReport(env, rep, asJSON); err == nil {
				err = perr
			}
			return err
		},
	}
}

func statusCommand() *command {
	var (
		br     browsersFlag
		asJSON bool
	)
	return &command{
		usage: "bpclient status [--browsers LIST] [--json]",
		help: `Shows, for each browser, whether the host manifest is present and valid (it
parses, names ` + nativemsg.HostName + `, its bpclient-host exists and is
executable, and it admits the bpclient extension); whether the agent is
registered to start at login; and whether an agent answers now.`,
		setFlags: func(fs *flag.FlagSet) {
			fs.Var(&br, "browsers", browsersHelp)
			fs.BoolVar(&asJSON, "json", false, "print as JSON")
		},
		run: func(ctx context.Context, env Env, args []string) error {
			if len(args) > 0 {
				return usagef("status takes no arguments")
			}
			in, err := installer.New(installer.WithAgent(cliAgent{}))
			if err != nil {
				return err
			}
			st, err := in.Status(ctx, br.list)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			return st.WriteText(env.Stdout)
		},
	}
}

func printReport(env Env, rep *installer.Report, asJSON bool) error {
	if rep == nil {
		return nil
	}
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.WriteText(env.Stdout)
}

// cliAgent reaches this user's agent over its local endpoint.
type cliAgent struct{}

func (cliAgent) Status(ctx context.Context) installer.AgentStatus {
	var st installer.AgentStatus
	addr, err := ipc.DefaultAddr()
	if err != nil {
		st.Error = err.Error()
		return st
	}
	st.Address = addr
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, addr)
	if errors.Is(err, ipc.ErrNotOurs) {
		st.Error = err.Error()
		return st
	}
	if err != nil {
		st.Error = "nothing answers at " + addr
		return st
	}
	defer c.Close()
	// It answered: it runs, whatever it says next.
	st.Running = true
	hello := map[string]string{"client": "bpclient-cli", "clientVersion": version.Version}
	if err := c.Call(ctx, "helper.hello", hello, nil); err != nil {
		st.Error = "hello: " + err.Error()
		return st
	}
	var res struct {
		HelperVersion string  `json:"helperVersion"`
		PID           int     `json:"pid"`
		UptimeSeconds float64 `json:"uptimeSeconds"`
	}
	if err := c.Call(ctx, "helper.status", nil, &res); err != nil {
		st.Error = "status: " + err.Error()
		return st
	}
	st.Version, st.PID, st.UptimeSeconds = res.HelperVersion, res.PID, res.UptimeSeconds
	return st
}

func (cliAgent) Stop(ctx context.Context) error {
	_, err := stopAgent(ctx) // false: it was gone already
	return err
}
