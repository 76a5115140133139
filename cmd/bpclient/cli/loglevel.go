package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/ipc"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/policy"
)

// logLevel is a level a user may choose, by name. A switch, not a map: a
// map literal is built by the package's initialiser in every process
// (BENCHMARKS.md, the idle agent's memory).
func logLevel(name string) (zerolog.Level, bool) {
	switch name {
	case "debug":
		return zerolog.DebugLevel, true
	case "info":
		return zerolog.InfoLevel, true
	case "warn":
		return zerolog.WarnLevel, true
	}
	return zerolog.NoLevel, false
}

// logGate is a zerolog hook that drops the events below a level that can
// change while the agent runs. Every logger of the agent is a copy made
// from one root, so the root's own level cannot be changed afterwards;
// one hook shared by all copies can. The default stays debug, what the
// agent wrote before the level could be chosen.
type logGate struct{ min atomic.Int32 }

func newLogGate(l zerolog.Level) *logGate {
	g := &logGate{}
	g.min.Store(int32(l))
	return g
}

func (g *logGate) Run(e *zerolog.Event, level zerolog.Level, _ string) {
	if level != zerolog.NoLevel && level < zerolog.Level(g.min.Load()) {
		e.Discard()
	}
}

func (g *logGate) level() zerolog.Level { return zerolog.Level(g.min.Load()) }

// logService answers log.level for local clients: the CLI's `bpclient
// log level`. Pages and the extension cannot change what the log holds.
type logService struct {
	gate *logGate
	log  zerolog.Logger
}

func (s *logService) Name() string           { return "log" }
func (s *logService) Capabilities() []string { return nil }
func (s *logService) Status() any            { return map[string]string{"level": s.gate.level().String()} }

func (s *logService) Methods() map[string]agent.Method {
	return map[string]agent.Method{"log.level": s.setLevel}
}

func (s *logService) setLevel(_ context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	if !c.Local() {
		return nil, (&policy.Refusal{Reason: jsonrpc.ReasonPrivileged}).RPCError("only a local client may change the log level")
	}
	var p struct {
		Level string `json:"level"`
	}
	if err := c.Decode(&p); err != nil {
		return nil, err
	}
	if p.Level != "" {
		l, ok := logLevel(p.Level)
		if !ok {
			return nil, jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: level %q: want debug, info or warn", p.Level)
		}
		old := s.gate.level()
		s.gate.min.Store(int32(l))
		// Warn, so that the change is in the log at any level.
		s.log.Warn().Str("from", old.String()).Str("to", l.String()).Str("session", c.SessionID).Msg("log level changed")
	}
	return s.Status(), nil
}

func logCommand() *command {
	return &command{
		usage: "bpclient log level [debug|info|warn]",
		help: `'bpclient log level debug' makes the running agent write debug lines to
BPClient.log from now on, without a restart; 'info' or 'warn' quiets it
again. Without a level it prints the current one. Only this user's own
local commands can change it, never a web page. The level lasts until
the agent stops; it starts at debug.`,
		setFlags: func(*flag.FlagSet) {},
		run: func(ctx context.Context, env Env, args []string) error {
			if len(args) == 0 || args[0] != "level" || len(args) > 2 {
				return usagef("usage: bpclient log level [debug|info|warn]")
			}
			params := map[string]string{}
			if len(args) == 2 {
				if _, ok := logLevel(args[1]); !ok {
					return usagef("unknown level %q: want debug, info or warn", args[1])
				}
				params["level"] = args[1]
			}
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			c, err := client.Dial(ctx, "")
			if errors.Is(err, ipc.ErrNotOurs) {
				return err
			}
			if err != nil {
				return errors.New("the agent is not running (start it with 'bpclient start')")
			}
			defer c.Close()
			if err := c.Call(ctx, "helper.hello", map[string]string{"client": "bpclient-cli"}, nil); err != nil {
				return fmt.Errorf("hello: %w", err)
			}
			var res struct {
				Level string `json:"level"`
			}
			if err := c.Call(ctx, "log.level", params, &res); err != nil {
				return fmt.Errorf("log.level: %w", err)
			}
			fmt.Fprintln(env.Stdout, "log level:", res.Level)
			return nil
		},
	}
}
