package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/openbpclient/bpclient/cmd/bpclient/cli"
	_ "github.com/openbpclient/bpclient/helper/safedll" // Windows: system DLLs from System32 only
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
