package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/helper/refusals"
)

// doctorPages is the log of the pages' minHelperVersion that the agent
// writes and the doctor reads.
func doctorPages() (*doctor.PageLog, error) {
	file, err := doctor.DefaultPageLogFile()
	if err != nil {
		return nil, err
	}
	return doctor.NewPageLog(file, nil), nil
}

// doctorRefusals is the log of the pages the agent refused.
func doctorRefusals() (*refusals.Log, error) {
	file, err := refusals.DefaultFile()
	if err != nil {
		return nil, err
	}
	return refusals.New(file, nil), nil
}

// exitChecksFailed is doctor's exit code when a check failed.
const exitChecksFailed = 4

func doctorCommand() *command {
	var (
		br     browsersFlag
		asJSON bool
	)
	return &command{
		usage: "bpclient doctor [--browsers LIST] [--json]",
		help: `Runs one check per thing that commonly goes wrong and prints, for each, ok,
warning or failed, what was found and the fix in one sentence: the host
manifest of each browser (present, valid, its bpclient-host runs, it
admits the bpclient extension; on Windows the registry key), the agent
(answers, same version), the start at login, the browsers' enterprise
policies that block native messaging or the extension, the extension in
each browser profile, whether the last Agent Desktop page needed a
newer helper, the pages refused in the last week (with the domain to
allow), and the SIP phone's registration (from the running agent:
why it failed or was lost).

Exits with status 4 when a check failed. --json prints the same report as
the API's helper.doctor (see docs/API.md), with the files read.`,
		setFlags: func(fs *flag.FlagSet) {
			fs.Var(&br, "browsers", "browsers to check, comma-separated: chrome,chromium,edge,brave,vivaldi,firefox or all")
			fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
		},
		run: func(ctx context.Context, env Env, args []string) error {
			if len(args) > 0 {
				return usagef("doctor takes no arguments")
			}
			pages, err := doctorPages()
			if err != nil {
				return err
			}
			refusals, err := doctorRefusals()
			if err != nil {
				return err
			}
			roots := doctor.DefaultRoots()
			d := doctor.Standard(doctor.Options{
				Pages:         pages,
				ScreenEncoder: screenEncoder,
				Refusals:      refusals,
				Roots:         roots,
				Browsers:      br.list,
				Agent:         cliAgent{}.Status,
				Autostart:     doctor.InstallerAutostart(roots),
				Phone:         agentPhoneProbe,
				Network:       agentPhoneTarget,
				Quality:       agentQualityProbe,
				HostLog:       hostLog(),
			})
			rep := d.Run(ctx, doctor.View{Local: true})
			if asJSON {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				err = enc.Encode(rep)
			} else {
				err = rep.WriteText(env.Stdout)
			}
			if err != nil {
				return err
			}
			if n := rep.Count(doctor.Failed); n > 0 {
				return &exitCodeError{code: exitChecksFailed, err: fmt.Errorf("%d of %d checks failed", n, len(rep.Checks))}
			}
			return nil
		},
	}
}
