package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/nativemsg"
)

// WriteUserPolicy writes the user's allow-list of env: the file the agent
// reads on every check, and the one a restarted agent reads too.
func WriteUserPolicy(env *Env, domains ...string) error {
	data, err := json.MarshalIndent(map[string]any{"domains": domains}, "", "  ")
	if err != nil {
		return err
	}
	path := env.UserPolicyFile()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o600)
}

// Agent is a `bpclient agent` started by the test.
type Agent struct {
	Cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// StartAgent runs `bpclient agent` in env and waits until it answers a
// hello on its socket.
func StartAgent(ctx context.Context, bins *Binaries, env *Env, args ...string) (*Agent, error) {
	cmd := exec.Command(bins.CLI, append([]string{"agent"}, args...)...)
	cmd.Env = env.Environ()
	cmd.Dir = bins.Dir
	ownProcessGroup(cmd)
	logf, err := os.Create(filepath.Join(env.Root, "agent.stderr"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start agent: %w", err)
	}
	a := &Agent{Cmd: cmd, done: make(chan struct{})}
	go func() {
		a.err = cmd.Wait()
		logf.Close()
		close(a.done)
	}()
	if _, err := WaitAgent(ctx, env); err != nil {
		a.Kill()
		out, _ := os.ReadFile(filepath.Join(env.Root, "agent.stderr"))
		return nil, fmt.Errorf("%w\nagent output:\n%s", err, out)
	}
	return a, nil
}

// Kill ends the agent with SIGKILL (a crash, as far as anybody can tell)
// and waits for it.
func (a *Agent) Kill() {
	a.Cmd.Process.Kill()
	<-a.done
}

// Stop ends the agent with SIGTERM and waits up to 5 s.
func (a *Agent) Stop() error {
	a.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
		return nil
	case <-time.After(5 * time.Second):
		a.Kill()
		return errors.New("agent did not stop within 5 s of SIGTERM")
	}
}

// Dial opens a local client session (hello without pageOrigin) with the
// agent of env.
func Dial(ctx context.Context, env *Env, clientName string) (*client.Client, map[string]any, error) {
	c, err := client.Dial(ctx, env.AgentSocket())
	if err != nil {
		return nil, nil, err
	}
	var hello map[string]any
	if err := c.Call(ctx, "helper.hello", map[string]string{"client": clientName, "clientVersion": "0"}, &hello); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("hello: %w", err)
	}
	return c, hello, nil
}

// Status is the part of helper.status the tests read.
type Status struct {
	HelperVersion   string         `json:"helperVersion"`
	ProtocolVersion int            `json:"protocolVersion"`
	PID             int            `json:"pid"`
	Clients         []StatusClient `json:"clients"`
}

// StatusClient is one session in helper.status.
type StatusClient struct {
	SessionID  string `json:"sessionId"`
	Kind       string `json:"kind"` // page, extension, local
	Client     string `json:"client"`
	PageOrigin string `json:"pageOrigin"`
	Browser    string `json:"browser"`
}

// AgentStatus asks the agent of env for helper.status.
func AgentStatus(ctx context.Context, env *Env) (*Status, error) {
	c, _, err := Dial(ctx, env, "browsertest")
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var st Status
	if err := c.Call(ctx, "helper.status", nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// WaitAgent waits until an agent of env answers helper.status.
func WaitAgent(ctx context.Context, env *Env) (*Status, error) {
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		st, err := AgentStatus(cctx, env)
		cancel()
		if err == nil {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no agent answers on %s: %v", env.AgentSocket(), err)
		case <-time.After(wait):
		}
	}
}

// KillAnyAgent ends whatever agent answers in env, also one that a host
// started detached, by the pid helper.status reports, and waits until its
// socket no longer answers.
func KillAnyAgent(ctx context.Context, env *Env) error {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	st, err := AgentStatus(cctx, env)
	cancel()
	if err != nil {
		return nil // nobody there
	}
	p, err := os.FindProcess(st.PID)
	if err != nil {
		return err
	}
	p.Signal(syscall.SIGTERM)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if p.Signal(syscall.Signal(0)) != nil {
			return nil
		}
		cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		_, err := client.Dial(cctx, env.AgentSocket())
		cancel()
		if err != nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.Kill()
	return nil
}

// InstallManifests runs `bpclient install --browsers chromium,firefox
// --no-autostart` in env, so the browsers read the manifests exactly where
// install wrote them, and checks that both are there. extraIDs are passed
// as --extension-id: extensions the manifests admit besides ours.
// Autostart stays off: the test runs its own agent, and nothing may reach
// the real user's service manager.
func InstallManifests(ctx context.Context, bins *Binaries, env *Env, extraIDs ...string) (string, error) {
	args := []string{"install", "--browsers", "chromium,firefox", "--no-autostart"}
	for _, id := range extraIDs {
		args = append(args, "--extension-id", id)
	}
	cmd := exec.CommandContext(ctx, bins.CLI, args...)
	cmd.Env = env.Environ()
	cmd.Dir = bins.Dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("bpclient install: %v\n%s", err, out)
	}
	for _, p := range []string{env.ChromiumManifest(nativemsg.HostName), env.FirefoxManifest(nativemsg.HostName)} {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("bpclient install did not write %s: %v\n%s", p, err, out)
		}
	}
	return "bpclient " + strings.Join(args, " "), nil
}
