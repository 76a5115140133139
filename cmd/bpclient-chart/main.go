// Command bpclient-chart draws the support bundle's quality picture:
// it reads the calls' quality samples as JSON on stdin (callquality.ChartInput) and
// writes the PNG to stdout.
//
// It is a program of its own, run by `bpclient logs collect`, so that
// bpclient (and with it every agent) does not link gonum.org/v1/plot,
// whose fonts are parsed at start-up: that cost 8 MB of binary and 9 MB
// of every idle agent's memory.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/openbpclient/bpclient/helper/support/chart"
)

// Exit codes: bad input is the caller's fault, a failure to draw ours.
const (
	exitDrawFailed = 1
	exitBadInput   = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "usage: bpclient-chart <calls.json >quality.png (it takes no arguments)")
		return exitBadInput
	}
	calls, err := chart.Decode(stdin)
	if err != nil {
		fmt.Fprintf(stderr, "bpclient-chart: %v\n", err)
		if errors.Is(err, chart.ErrBadInput) {
			return exitBadInput
		}
		return exitDrawFailed
	}
	png, err := chart.PNG(calls)
	if err != nil {
		fmt.Fprintf(stderr, "bpclient-chart: draw: %v\n", err)
		return exitDrawFailed
	}
	if _, err := stdout.Write(png); err != nil {
		fmt.Fprintf(stderr, "bpclient-chart: write the picture: %v\n", err)
		return exitDrawFailed
	}
	return 0
}
