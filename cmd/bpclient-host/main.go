// Command bpclient-host is the native-messaging host the browser starts for
// each port: a thin relay to the per-user bpclient agent. Its stdout is the
// protocol; it logs to BPClient.log only.
package main

import (
	"context"
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
)

func main() {
	log := zerolog.Nop()
	if path, err := paths.LogFile(); err == nil {
		if w, err := logging.OpenAppend(path); err == nil {
			defer w.Close()
			log = logging.New(w, "host")
		}
	}
	addr, addrErr := ipc.DefaultAddr()
	// A page the policy refuses gets its refusal here and starts no agent.
	var admit func(extension, pageOrigin string) *jsonrpc.Error
	if userPolicy, err := paths.UserPolicyFile(); err == nil {
		admit = hostrelay.PolicyAdmit(&policy.Store{UserFile: userPolicy})
	}
	os.Exit(hostrelay.Run(context.Background(), hostrelay.Options{
		Args:   os.Args[1:],
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Log:    log,
		Dial: func(ctx context.Context) (net.Conn, error) {
			if addrErr != nil {
				return nil, addrErr
			}
			return ipc.Dial(ctx, addr)
		},
		StartAgent: func() error {
			bin, err := launch.AgentBinary()
			if err != nil {
				return err
			}
			return launch.Detached(bin, "agent")
		},
		StartTimeout: 3 * time.Second,
		Admit:        admit,
	}))
}
