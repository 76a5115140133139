package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/fakedesktop"
)

// desktopSample runs an installed desktop-API sample (the .NET client's
// Sample.exe under mono) against a real agent with a fake Agent Desktop
// attached, in an isolated environment of its own:
//
//	releasetest desktopsample -agent BPCLIENT [-timeout D] -- CMD [ARGS...]
//
// CMD gets the number 1002 as its last argument and must print that it
// saw the Agent Desktop attach, the call.initiated and call.released the
// page publishes for its makeCall, and the page's answer to it. It
// prints one line saying what the sample saw.
func desktopSample(args []string) error {
	fs := flag.NewFlagSet("desktopsample", flag.ContinueOnError)
	agentPath := fs.String("agent", "", "the bpclient (Linux) whose agent the sample talks to")
	timeout := fs.Duration("timeout", 60*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *agentPath == "" || fs.NArg() == 0 {
		return errors.New("desktopsample: usage: -agent BPCLIENT -- CMD [ARGS...]")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	// A short root: the agent's socket path must fit in 108 bytes.
	root, err := os.MkdirTemp("", "rts")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	env, err := browsertest.NewEnv(root)
	if err != nil {
		return err
	}
	bins := &browsertest.Binaries{Dir: filepath.Dir(*agentPath), CLI: *agentPath}
	agent, err := browsertest.StartAgent(ctx, bins, env)
	if err != nil {
		return fmt.Errorf("desktopsample: %w", err)
	}
	defer agent.Stop()
	page, err := fakedesktop.Attach(ctx, env.AgentSocket(), "release-1")
	if err != nil {
		return fmt.Errorf("desktopsample: %w", err)
	}
	defer page.Close()

	const number = "1002"
	cmd := exec.CommandContext(ctx, fs.Arg(0), append(fs.Args()[1:], number)...)
	cmd.Env = env.Environ()
	stdin, stdout, err := startPiped(cmd)
	if err != nil {
		return fmt.Errorf("desktopsample: %w", err)
	}
	// What the sample prints (dotnet/sample/Sample.cs) when each happens.
	want := map[string]string{
		"attached":       "Agent Desktop: Fay Fake (3003)",
		"call.initiated": `call.initiated {"number":"` + number + `"}`,
		"call.released":  `call.released {"number":"` + number + `"}`,
		"answer":         `makeCall: {"answered":"makeCall"`,
	}
	var printed []string
	sc := bufio.NewScanner(stdout)
	for len(want) > 0 && sc.Scan() {
		line := sc.Text()
		printed = append(printed, line)
		for k, prefix := range want {
			if strings.HasPrefix(line, prefix) {
				delete(want, k)
			}
		}
	}
	stdin.Close() // the sample quits on Enter, or at the end of its input
	waitErr := cmd.Wait()
	if len(want) > 0 {
		return fmt.Errorf("desktopsample: the sample did not print %v (exit: %v); it printed:\n%s",
			want, waitErr, strings.Join(printed, "\n"))
	}
	if waitErr != nil {
		return fmt.Errorf("desktopsample: the sample: %w", waitErr)
	}
	fmt.Println("attached, makeCall answered by the page, call.initiated and call.released received")
	return nil
}
