package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/ipc"
	"github.com/openbpclient/bpclient/helper/launch"
)

func startCommand() *command {
	return &command{
		usage: "bpclient start",
		help: `Starts this user's agent detached from the terminal (on Windows without a
console window) unless one is already running, and waits until it answers.
Installers run it right after installing. Starting an agent that already
runs is not an error.`,
		run: func(ctx context.Context, env Env, args []string) error {
			if len(args) > 0 {
				return usagef("start takes no arguments")
			}
			answers, err := agentAnswers(ctx)
			if errors.Is(err, ipc.ErrNotOurs) {
				return err // an agent started now could not listen there either
			}
			if answers {
				fmt.Fprintln(env.Stdout, "agent already running")
				return nil
			}
			self, err := os.Executable()
			if err != nil {
				return fmt.Errorf("start: %w", err)
			}
			if err := launch.Detached(self, "agent"); err != nil {
				return err
			}
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) {
				if answers, _ := agentAnswers(ctx); answers {
					fmt.Fprintln(env.Stdout, "agent started")
					return nil
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(50 * time.Millisecond):
				}
			}
			return errors.New("start: the agent did not answer within 10s (see BPClient.log)")
		},
	}
}

// agentAnswers reports whether this user's agent answers helper.hello,
// and why not when it could not even be dialled.
func agentAnswers(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, "")
	if err != nil {
		return false, err
	}
	defer c.Close()
	return c.Call(ctx, "helper.hello", map[string]string{"client": "bpclient-cli"}, nil) == nil, nil
}
