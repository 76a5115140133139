package main

import (
	"context"
	"errors"
	"net"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/hostrelay"
	"github.com/openbpclient/bpclient/helper/ipc"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/launch"
	"github.com/openbpclient/bpclient/helper/logging"
	"github.com/openbpclient/bpclient/helper/paths"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/helper/refusals"
	_ "github.com/openbpclient/bpclient/helper/safedll" // Windows: system DLLs from System32 only
)

func main() {
	os.Exit(run())
}

// run is main's body, returning the exit code, so that its defers (the log
// file's Close) run before the process exits.
func run() int {
	log := zerolog.Nop()
	if path, err := paths.LogFile(); err == nil {
		if w, err := logging.OpenAppend(path); err == nil {
			defer w.Close()
			log = logging.New(w, "host")
		}
	}
	addr, addrErr := ipc.DefaultAddr()
	// Set when another user holds the endpoint (the relay dials and starts
	// on one goroutine): an agent started then could not listen there.
	var taken error
	// A page the policy refuses gets its refusal here and starts no agent.
	var admit func(extension, pageOrigin string) *jsonrpc.Error
	if userPolicy, err := paths.UserPolicyFile(); err == nil {
		admit = recordRefusals(hostrelay.PolicyAdmit(&policy.Store{UserFile: userPolicy}), log)
	}
	return hostrelay.Run(context.Background(), hostrelay.Options{
		Args:   os.Args[1:],
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Log:    log,
		Dial: func(ctx context.Context) (net.Conn, error) {
			if addrErr != nil {
				return nil, addrErr
			}
			c, err := ipc.Dial(ctx, addr)
			if errors.Is(err, ipc.ErrNotOurs) {
				taken = err
			}
			return c, err
		},
		StartAgent: func() error {
			if taken != nil {
				return errors.New("an agent started now could not listen there either")
			}
			bin, err := launch.AgentBinary()
			if err != nil {
				return err
			}
			return launch.Detached(bin, "agent")
		},
		StartTimeout: 3 * time.Second,
		Admit:        admit,
	})
}

// recordRefusals notes each page origin admit refuses in the refusal log
// the doctor reads: the host refuses most pages, before any agent runs.
func recordRefusals(admit func(extension, pageOrigin string) *jsonrpc.Error, log zerolog.Logger) func(string, string) *jsonrpc.Error {
	file, err := refusals.DefaultFile()
	if err != nil {
		return admit
	}
	rl := refusals.New(file, nil)
	return func(extension, pageOrigin string) *jsonrpc.Error {
		jerr := admit(extension, pageOrigin)
		if jerr == nil || pageOrigin == "" {
			return jerr
		}
		data, _ := jerr.Data.(map[string]any)
		reason, _ := data["reason"].(string)
		canAsk, _ := data["canAsk"].(bool)
		if reason == "" || reason == jsonrpc.ReasonExtensionNotAllowed {
			return jerr // the extension, not the page, was refused
		}
		if err := rl.Add(pageOrigin, reason, canAsk); err != nil {
			log.Warn().Err(err).Msg("record the refused page")
		}
		return jerr
	}
}
