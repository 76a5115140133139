// Command demo is `make demo`: the softphone driven by the demo Agent
// Desktop page in a headless browser, through the real extension, host
// and agent, against the embedded loopback SIP service (see
// internal/demo). It prints everything the page receives as it arrives.
//
//	go run ./internal/cmd/demo [-browser chromium|firefox] [-bin DIR] [-for 15s] [-v]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/openbpclient/bpclient/internal/demo"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	o := demo.Options{Out: os.Stdout}
	flag.StringVar(&o.Browser, "browser", "chromium", "browser to drive: chromium or firefox")
	flag.StringVar(&o.Bin, "bin", "", "use bpclient and bpclient-host from this directory instead of building them")
	flag.DurationVar(&o.For, "for", 0, "how long the call lasts (0: until Ctrl-C)")
	flag.BoolVar(&o.Verbose, "v", false, "print the browser's output and BPClient.log")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	_, err := demo.Run(ctx, o)
	return err
}
