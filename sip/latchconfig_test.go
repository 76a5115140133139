package sip

import (
	"errors"
	"testing"
)

// TestRTPLatchingConfig: a latching mode that is not one of the two is
// refused as a configuration error.
func TestRTPLatchingConfig(t *testing.T) {
	if _, err := New(Config{Server: "127.0.0.1:5060", Username: "1001", RTPLatching: "any"}); !errors.Is(err, ErrConfig) {
		t.Errorf("rtpLatching \"any\": %v", err)
	}
}
