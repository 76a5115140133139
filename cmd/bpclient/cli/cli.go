// Package cli implements the bpclient subcommands, one file each.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit codes.
const (
	exitOK           = 0
	exitError        = 1
	exitUsage        = 2
	exitAgentRunning = 3 // `bpclient agent` while another agent runs
)

// Env is what a command may touch of the outside world.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
}

// command is one subcommand, built by its entry in commandTable when
// chosen. setFlags binds its flags to variables the run closure reads.
type command struct {
	name     string // the table's
	usage    string // "bpclient name [flags] args"
	help     string // paragraphs after the usage line
	setFlags func(fs *flag.FlagSet)
	run      func(ctx context.Context, env Env, args []string) error
}

// commandEntry is one line of the command list: the name and synopsis
// as data, and the constructor run only for the command chosen, so that
// an agent runs none of the other commands' code (their constructors,
// flag variables and closures) at start.
type commandEntry struct {
	name     string
	synopsis string // one line for the command list
	build    func() *command
}

// commandTable lists every subcommand in the order help shows them.
var commandTable = [...]commandEntry{
	{"agent", "run the per-user agent in the foreground (what autostart runs)", agentCommand},
	{"install", "register the helper with the browsers and start it at login", installCommand},
	{"uninstall", "undo install: remove the manifests and the start at login", uninstallCommand},
	{"status", "show whether the browsers can reach the helper and whether the agent runs", statusCommand},
	{"doctor", "check why the Agent Desktop cannot reach the helper, and say how to fix it", doctorCommand},
	{"log", "change what the running agent writes to BPClient.log", logCommand},
	{"logs", "collect the logs and what support asks for into one zip", logsCommand},
	{"policy", "list, allow or remove the domains Agent Desktop pages may come from", policyCommand},
	{"start", "start this user's agent in the background", startCommand},
	{"stop", "stop this user's running agent", stopCommand},
	{"version", "print the version (--verbose: audio library, devices and codecs)", versionCommand},
	{"devices", "list the audio inputs and outputs with their stable ids", devicesCommand},
	{"audio", "test the microphone and speaker: 'bpclient audio test'", audioCommand},
	{"call", "place a call through the running agent and print its state and quality", callCommand},
	{"demo", "a real call with no PBX: embedded registrar and echo extension, live quality", demoCommand},
}

// usageError is a mistake in the command line: exit 2 with the usage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// exitError carries a specific exit code.
type exitCodeError struct {
	code int
	err  error
}

func (e *exitCodeError) Error() string { return e.err.Error() }
func (e *exitCodeError) Unwrap() error { return e.err }

// Run executes the command line args and returns the exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 {
			if c := find(args[1]); c != nil {
				printCommandHelp(env.Stdout, c)
				return exitOK
			}
		}
		printMainHelp(env.Stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] == "--version" || args[0] == "-version" {
		args[0] = "version"
	}
	c := find(args[0])
	if c == nil {
		fmt.Fprintf(env.Stderr, "bpclient: unknown command %q\nRun 'bpclient --help' for the list of commands.\n", args[0])
		return exitUsage
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if c.setFlags != nil {
		c.setFlags(fs)
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandHelp(env.Stdout, c)
			return exitOK
		}
		fmt.Fprintf(env.Stderr, "bpclient %s: %v\n", c.name, err)
		printUsageLine(env.Stderr, c)
		return exitUsage
	}
	err := c.run(ctx, env, fs.Args())
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(env.Stderr, "bpclient %s: %v\n", c.name, err)
	var ue *usageError
	var ce *exitCodeError
	switch {
	case errors.As(err, &ue):
		printUsageLine(env.Stderr, c)
		return exitUsage
	case errors.As(err, &ce):
		return ce.code
	}
	return exitError
}

// find builds the command called name, or returns nil.
func find(name string) *command {
	return findIn(commandTable[:], name)
}

// findIn builds table's command called name, and no other.
func findIn(table []commandEntry, name string) *command {
	for _, e := range table {
		if e.name == name {
			c := e.build()
			c.name = e.name
			return c
		}
	}
	return nil
}

func printMainHelp(w io.Writer) {
	fmt.Fprint(w, `bpclient is the BPClient agent desktop helper: it gives the browser-based
Agent Desktop what a web page cannot do on its own.

Usage:
  bpclient <command> [flags] [arguments]

Commands:
`)
	for _, e := range commandTable {
		fmt.Fprintf(w, "  %-10s %s\n", e.name, e.synopsis)
	}
	fmt.Fprint(w, `
Run 'bpclient <command> --help' for a command's flags.
`)
}

func printUsageLine(w io.Writer, c *command) {
	fmt.Fprintf(w, "usage: %s\n", c.usage)
}

func printCommandHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n", c.usage, strings.TrimSpace(c.help))
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	if c.setFlags != nil {
		c.setFlags(fs)
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}
