//go:build !vpx || !cgo

package vp8

import (
	"errors"
	"testing"
)

func TestWithoutLibvpxSaysUnavailable(t *testing.T) {
	if Available() {
		t.Fatal("Available in a build without libvpx")
	}
	if _, err := NewEncoder(EncoderConfig{Width: 64, Height: 64, FPS: 2}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("NewEncoder: %v, want ErrUnavailable", err)
	}
	if _, err := NewDecoder(); !errors.Is(err, ErrUnavailable) {
		t.Errorf("NewDecoder: %v, want ErrUnavailable", err)
	}
}
