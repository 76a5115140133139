package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/ipc"
)

func callCommand() *command {
	var (
		server, transport, domain, username, passwordEnv string
		codecs                                           string
		duration                                         time.Duration
	)
	return &command{
		usage: "bpclient call [--for 30s] [--server host:port --username U --password-env VAR] <uri>",
		help: `Places a call from the terminal through this user's running agent (the
same softphone the Agent Desktop drives) and prints the call's state and
voice quality until it ends, --for has passed, or Ctrl-C hangs up.

The agent's phone is normally configured by the Agent Desktop. With
--server and --username, this command configures and registers it first;
the password is read from the environment variable named by
--password-env (never from the command line, where other users could see
it).

<uri> is "1002", "1002@example.com" or "sip:1002@example.com".`,
		setFlags: func(fs *flag.FlagSet) {
			fs.DurationVar(&duration, "for", 0, "hang up after this long once connected (0: until the other side hangs up or Ctrl-C)")
			fs.StringVar(&server, "server", "", "configure the phone first: SIP server host[:port]")
			fs.StringVar(&transport, "transport", "udp", "with --server: udp or tcp")
			fs.StringVar(&domain, "domain", "", "with --server: the account's domain (default: the server's host)")
			fs.StringVar(&username, "username", "", "with --server: the account's user name")
			fs.StringVar(&passwordEnv, "password-env", "BPCLIENT_SIP_PASSWORD", "with --server: the environment variable holding the password")
			fs.StringVar(&codecs, "codecs", "", "with --server: codecs in order, comma-separated (default: all)")
		},
		run: func(ctx context.Context, env Env, args []string) error {
			if len(args) != 1 {
				return usagef("call takes one destination")
			}
			return runCall(ctx, env, args[0], callSetup{server, transport, domain, username, passwordEnv, codecs}, duration)
		},
	}
}

type callSetup struct {
	server, transport, domain, username, passwordEnv, codecs string
}

func runCall(ctx context.Context, env Env, to string, setup callSetup, duration time.Duration) error {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	c, err := client.Dial(dctx, "")
	cancel()
	if errors.Is(err, ipc.ErrNotOurs) {
		return err // not "not running": someone else serves its endpoint
	}
	if err != nil {
		return fmt.Errorf("the agent is not running (start it with 'bpclient agent'): %w", err)
	}
	defer c.Close()
	rpc := func(method string, params, result any) error {
		cctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		return c.Call(cctx, method, params, result)
	}
	if err := rpc("helper.hello", map[string]string{"client": "bpclient-cli"}, nil); err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	if setup.server != "" {
		if setup.username == "" {
			return usagef("--server needs --username")
		}
		params := map[string]any{"mode": "softphone", "server": setup.server, "transport": setup.transport,
			"domain": setup.domain, "username": setup.username, "password": os.Getenv(setup.passwordEnv)}
		if setup.codecs != "" {
			params["codecs"] = strings.Split(setup.codecs, ",")
		}
		if err := rpc("phone.configure", params, nil); err != nil {
			return fmt.Errorf("configure: %w", err)
		}
		if err := rpc("phone.register", nil, nil); err != nil {
			return fmt.Errorf("register: %w", err)
		}
		if err := waitRegistered(ctx, env, c); err != nil {
			return err
		}
	}
	var dial struct {
		CallID string `json:"callId"`
	}
	t0 := time.Now()
	if err := rpc("call.dial", map[string]string{"to": to}, &dial); err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	fmt.Fprintf(env.Stdout, "call %s to %s\n", dial.CallID, to)
	hangup := func() {
		_ = rpc("call.hangup", map[string]string{"callId": dial.CallID}, nil)
	}
	var timer <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(env.Stdout, "hanging up")
			hangup()
			ctx = context.Background()
		case <-timer:
			hangup()
			timer = nil
		case ev, ok := <-c.Events():
			if !ok {
				return errors.New("the agent closed the connection")
			}
			var p struct {
				CallID   string  `json:"callId"`
				State    string  `json:"state"`
				Reason   string  `json:"reason"`
				Codec    string  `json:"codec"`
				MOS      float64 `json:"mos"`
				RTTMs    float64 `json:"rttMs"`
				JitterMs float64 `json:"jitterMs"`
				LossPct  float64 `json:"lossPct"`
				Active   bool    `json:"active"`
				Message  string  `json:"message"`
			}
			if json.Unmarshal(ev.Params, &p) != nil || p.CallID != dial.CallID {
				continue
			}
			switch ev.Method {
			case "call.state":
				line := p.State
				if p.Codec != "" {
					line += " (" + p.Codec + ")"
				}
				if p.Reason != "" {
					line += ": " + p.Reason
				}
				fmt.Fprintf(env.Stdout, "%7.3fs %s\n", time.Since(t0).Seconds(), line)
				if p.State == "connected" && duration > 0 && timer == nil {
					timer = time.After(duration)
				}
				if p.State == "ended" {
					return nil
				}
			case "quality.report":
				fmt.Fprintf(env.Stdout, "%7.3fs quality: MOS %.2f, RTT %.0f ms, jitter %.1f ms, loss %.1f%%\n",
					time.Since(t0).Seconds(), p.MOS, p.RTTMs, p.JitterMs, p.LossPct)
			case "network.issue":
				fmt.Fprintf(env.Stdout, "%7.3fs network: %s\n", time.Since(t0).Seconds(), p.Message)
			}
		}
	}
}

func waitRegistered(ctx context.Context, env Env, c *client.Client) error {
	timeout := time.After(15 * time.Second)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timeout:
			return errors.New("not registered within 15 s")
		case ev, ok := <-c.Events():
			if !ok {
				return errors.New("the agent closed the connection")
			}
			if ev.Method != "registration.state" {
				continue
			}
			var p struct{ State, Reason string }
			_ = json.Unmarshal(ev.Params, &p)
			fmt.Fprintf(env.Stdout, "registration: %s %s\n", p.State, p.Reason)
			switch p.State {
			case "registered":
				return nil
			case "failed":
				return fmt.Errorf("registration failed: %s", p.Reason)
			}
		}
	}
}
