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

// command is one subcommand. setFlags binds its flags to variables the
// run closure reads.
type command struct {
	name     string
	synopsis string // one line for the command list
	usage    string // "bpclient name [flags] args"
	help     string // paragraphs after the usage line
	setFlags func(fs *flag.FlagSet)
	run      func(ctx context.Context, env Env, args []string) error
}

// commands lists every subcommand in the order help shows them.
func commands() []*command {
	return []*command{
		agentCommand(),
		installCommand(),
		uninstallCommand(),
		statusCommand(),
		doctorCommand(),
		logCommand(),
		policyCommand(),
		startCommand(),
		stopCommand(),
		versionCommand(),
		devicesCommand(),
		audioCommand(),
		callCommand(),
		demoCommand(),
	}
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

func find(name string) *command {
	for _, c := range commands() {
		if c.name == name {
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
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.synopsis)
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
