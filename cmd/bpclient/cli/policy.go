package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"github.com/openbpclient/bpclient/helper/paths"
	"github.com/openbpclient/bpclient/helper/policy"
)

// policyStore is the policy the CLI and the agent read: the admin policy
// from the administrator's place only (paths.AdminPolicyFile, the registry
// on Windows) plus the user's file. No flag or variable points it
// elsewhere, or a user could unlock what the administrator locked; tests
// inject policy.Store.AdminFile in-process instead.
func policyStore() (*policy.Store, error) {
	user, err := paths.UserPolicyFile()
	if err != nil {
		return nil, err
	}
	return &policy.Store{UserFile: user}, nil
}

func policyCommand() *command {
	var asJSON bool
	return &command{
		usage: "bpclient policy list [--json] | allow DOMAIN | remove DOMAIN",
		help: `Pages may use BPClient only when they are served over https from a domain
on the allow-list: the administrator's list plus your own, unless the
administrator set usersCanManageDomains to false (an administrator's
policy that lists domains does so unless it says otherwise). DOMAIN is a host name
(agent.example.com) or a wildcard for the names below a domain
(*.example.com). 'allow' and 'remove' change your own list; a running
agent uses the change at the next connection.`,
		setFlags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print as JSON")
		},
		run: func(ctx context.Context, env Env, args []string) error {
			if len(args) == 0 {
				return usagef("policy needs list, allow or remove")
			}
			store, err := policyStore()
			if err != nil {
				return err
			}
			var p *policy.Policy
			switch verb := args[0]; {
			case verb == "list" && len(args) == 1:
				var warns []error
				if p, warns, err = store.Load(); err != nil {
					return err
				}
				for _, w := range warns {
					fmt.Fprintf(env.Stderr, "warning: %v (entry ignored)\n", w)
				}
			case (verb == "allow" || verb == "remove") && len(args) == 2:
				edit := store.Allow
				if verb == "remove" {
					edit = store.Remove
				}
				if p, err = edit(args[1]); err != nil {
					return err
				}
			default:
				return usagef("unexpected arguments %q", strings.Join(args, " "))
			}
			return printPolicy(env, p, asJSON)
		},
	}
}

func printPolicy(env Env, p *policy.Policy, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(env.Stdout).Encode(map[string]any{
			"domains": p.Domains(), "adminDomains": p.AdminDomains, "userDomains": p.UserDomains,
			"usersCanManageDomains": p.UsersCanManageDomains, "extensions": p.Extensions,
		})
	}
	w := env.Stdout
	list := func(title string, items []string) {
		fmt.Fprintf(w, "%s:\n", title)
		if len(items) == 0 {
			fmt.Fprintln(w, "  (none)")
		}
		for _, d := range items {
			fmt.Fprintf(w, "  %s\n", d)
		}
	}
	list("Allowed by the administrator", p.AdminDomains)
	if p.UsersCanManageDomains {
		list("Allowed by you", p.UserDomains)
	} else {
		fmt.Fprintln(w, "Your own list is not used: the administrator manages the domains.")
	}
	list("Extensions admitted", p.Extensions)
	return nil
}
