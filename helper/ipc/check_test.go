package ipc

import (
	"errors"
	"strings"
	"testing"
)

// The decision both OSes make once connected, with the server's identity
// as the OS gave it.
func TestCheckServer(t *testing.T) {
	const addr = `\\.\pipe\bpclient-S-1-5-21-1-1001`
	for _, tc := range []struct {
		name, server string
		lookupErr    error
		want         string // "" for accepted
	}{
		{"our own agent", "S-1-5-21-1-1001", nil, ""},
		{"another user", "S-1-5-21-1-1002", nil,
			addr + " is served by S-1-5-21-1-1002, not by you (S-1-5-21-1-1001): another user may be posing as the agent; not connecting"},
		{"SYSTEM", "S-1-5-18", nil, "is served by S-1-5-18, not by you"},
		{"unknown", "", errors.New("access denied"), addr + ": cannot learn who serves it (access denied); not connecting"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkServer(addr, tc.server, tc.lookupErr, "S-1-5-21-1-1001")
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused our own agent: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrNotOurs) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrNotOurs saying %q", err, tc.want)
			}
		})
	}
}
