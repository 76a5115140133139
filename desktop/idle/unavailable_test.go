//go:build darwin

package idle_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/desktop/idle"
)

// TestUnavailableInThisBuild: where this build reads no idle time, Open
// says so clearly.
func TestUnavailableInThisBuild(t *testing.T) {
	src, err := idle.Open(idle.Options{})
	if src != nil || !errors.Is(err, idle.ErrUnavailable) || !strings.Contains(err.Error(), "unavailable in this build") {
		t.Fatalf("Open = %v, %v; want ErrUnavailable saying unavailable in this build", src, err)
	}
}
