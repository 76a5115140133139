//go:build darwin

package notify_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/desktop/notify"
)

// TestUnavailableInThisBuild: where this build has no notifications,
// Open says so clearly instead of failing some other way.
func TestUnavailableInThisBuild(t *testing.T) {
	n, err := notify.Open(context.Background(), notify.Options{})
	if n != nil || !errors.Is(err, notify.ErrUnavailable) || !strings.Contains(err.Error(), "unavailable in this build") {
		t.Fatalf("Open = %v, %v; want ErrUnavailable saying unavailable in this build", n, err)
	}
}
