package notify_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/openbpclient/bpclient/desktop/notify"
)

// TestNoSessionBusStartsNone: without a session bus Open is unavailable
// and never runs dbus-launch, which would start a bus nobody serves.
func TestNoSessionBusStartsNone(t *testing.T) {
	dir := t.TempDir()
	ran := filepath.Join(dir, "dbus-launch-ran")
	if err := os.WriteFile(filepath.Join(dir, "dbus-launch"), []byte("#!/bin/sh\ntouch "+ran+"\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", dir) // no "bus" in it
	t.Setenv("DISPLAY", ":99")       // what makes dbus-launch autolaunch
	_, err := notify.Open(context.Background(), notify.Options{})
	if !errors.Is(err, notify.ErrUnavailable) {
		t.Fatalf("Open without a session bus: %v, want ErrUnavailable", err)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("Open ran dbus-launch")
	}
}
