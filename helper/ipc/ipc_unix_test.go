//go:build !windows

package ipc

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A client dials only a socket of ours in a private folder of ours; any
// other shape of the endpoint is refused with ErrNotOurs and a message
// that says what is wrong, and nothing is connected.
func TestDialChecksTheFolder(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(t *testing.T, addr string) // after a real agent listens at addr
		want string
	}{
		{"folder open to others", func(t *testing.T, addr string) {
			os.Chmod(filepath.Dir(addr), 0o755)
		}, "is open to other users (mode -rwxr-xr-x, the agent makes it 0700); not connecting"},
		{"folder is a link", func(t *testing.T, addr string) {
			dir := filepath.Dir(addr)
			real := dir + ".real"
			if err := os.Rename(dir, real); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(real, dir); err != nil {
				t.Fatal(err)
			}
		}, "is a symbolic link, which the agent never makes; not connecting"},
		{"socket is a link", func(t *testing.T, addr string) {
			if err := os.Rename(addr, addr+".real"); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(addr+".real", addr); err != nil {
				t.Fatal(err)
			}
		}, "agent.sock is a symbolic link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := testAddr(t)
			ln, err := Listen(addr)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			accepted := make(chan struct{}, 1)
			go func() {
				if c, err := ln.Accept(); err == nil {
					accepted <- struct{}{}
					c.Close()
				}
			}()
			tc.make(t, addr)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := Dial(ctx, addr)
			if err == nil {
				c.Close()
				t.Fatal("Dial connected")
			}
			if !errors.Is(err, ErrNotOurs) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Dial: %v\nwant ErrNotOurs saying %q", err, tc.want)
			}
			ln.Close()
			select {
			case <-accepted:
				t.Error("the refused client connected")
			default:
			}
		})
	}
}
