package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/ipc"
	"github.com/openbpclient/bpclient/helper/launch"
)

func stopCommand() *command {
	return &command{
		usage: "bpclient stop",
		help: `Asks this user's agent to stop and waits until it has. Browsers start it
again the next time an Agent Desktop page connects. Stopping an agent that
is not running is not an error.`,
		run: func(ctx context.Context, env Env, args []string) error {
			if len(args) > 0 {
				return usagef("stop takes no arguments")
			}
			stopped, err := stopAgent(ctx)
			if err != nil {
				return err
			}
			if stopped {
				fmt.Fprintln(env.Stdout, "agent stopped")
			} else {
				fmt.Fprintln(env.Stdout, "agent was not running")
			}
			return nil
		},
	}
}

// stopAgent asks a running agent to stop and waits for its connection to
// close. It reports false when no agent was running.
func stopAgent(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, "")
	if errors.Is(err, ipc.ErrNotOurs) {
		return false, err
	}
	if err != nil {
		return false, nil
	}
	defer c.Close()
	if err := c.Call(ctx, "helper.hello", map[string]string{"client": "bpclient-cli"}, nil); err != nil {
		return false, fmt.Errorf("hello: %w", err)
	}
	var st struct {
		PID int `json:"pid"`
	}
	if err := c.Call(ctx, "helper.status", nil, &st); err != nil {
		return false, fmt.Errorf("status: %w", err)
	}
	if err := c.Call(ctx, "helper.shutdown", nil, nil); err != nil && !errors.Is(err, client.ErrClosed) {
		return false, err
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		return false, fmt.Errorf("the agent did not stop: %w", ctx.Err())
	}
	// Stopped means gone: an installer may delete the executable next,
	// which Windows refuses while the process still runs.
	if err := launch.WaitExit(ctx, st.PID); err != nil {
		return false, fmt.Errorf("the agent (pid %d) closed its connections but did not exit: %w", st.PID, err)
	}
	return true, nil
}
