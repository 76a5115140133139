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
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
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

// Done is closed when the agent has exited.
func (a *Agent) Done() <-chan struct{} { return a.done }

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

// InstallManifests puts the host manifests for Chromium and Firefox where
// the browsers of env read them. It runs `bpclient install --browsers
// chromium,firefox` when this build has that command, and otherwise
// writes them itself at the same per-user locations. It returns how it
// did it ("bpclient install" or "written by the test").
func InstallManifests(ctx context.Context, bins *Binaries, env *Env) (string, error) {
	if hasCommand(ctx, bins, env, "install") {
		cmd := exec.CommandContext(ctx, bins.CLI, "install", "--browsers", "chromium,firefox")
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
		return "bpclient install", nil
	}
	for _, f := range []struct {
		b    nativemsg.Browser
		path string
		ids  []string
	}{
		{nativemsg.Chromium, env.ChromiumManifest(nativemsg.HostName), []string{nativemsg.ExtensionID}},
		{nativemsg.Firefox, env.FirefoxManifest(nativemsg.HostName), []string{nativemsg.AddonID}},
	} {
		m, err := nativemsg.NewManifest(f.b.Family(), bins.Host, f.ids)
		if err != nil {
			return "", err
		}
		if err := writeManifest(f.path, m); err != nil {
			return "", err
		}
	}
	return "written by the test", nil
}

// AllowInManifest adds extension ids (Chromium ids or add-on ids) to the
// installed manifest at path, as an administrator admitting a second
// extension would.
func AllowInManifest(path string, family nativemsg.Family, ids ...string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	m, err := nativemsg.ParseManifest(data)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if m.Allows(family, id) {
			continue
		}
		if family == nativemsg.FamilyFirefox {
			m.AllowedExtensions = append(m.AllowedExtensions, id)
		} else {
			m.AllowedOrigins = append(m.AllowedOrigins, nativemsg.ChromiumOrigin(id))
		}
	}
	return writeManifest(path, m)
}

func writeManifest(path string, m nativemsg.Manifest) error {
	data, err := m.Marshal()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// hasCommand reports whether `bpclient <name> --help` succeeds.
func hasCommand(ctx context.Context, bins *Binaries, env *Env, name string) bool {
	cmd := exec.CommandContext(ctx, bins.CLI, name, "--help")
	cmd.Env = env.Environ()
	out, err := cmd.CombinedOutput()
	return err == nil && !strings.Contains(string(out), "unknown command")
}
