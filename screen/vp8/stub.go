//go:build !vpx || !cgo

package vp8

import "github.com/openbpclient/bpclient/screen"

// Available reports whether this build has libvpx: this one has not.
func Available() bool { return false }

// Encoder is not in this build: NewEncoder says ErrUnavailable.
type Encoder struct{}

// NewEncoder returns ErrUnavailable in this build.
func NewEncoder(EncoderConfig) (*Encoder, error) { return nil, ErrUnavailable }

// Encode returns ErrUnavailable in this build.
func (*Encoder) Encode(*screen.Frame, bool) (Packet, error) { return Packet{}, ErrUnavailable }

// Close does nothing in this build.
func (*Encoder) Close() {}

// Decoder is not in this build: NewDecoder says ErrUnavailable.
type Decoder struct{}

// NewDecoder returns ErrUnavailable in this build.
func NewDecoder() (*Decoder, error) { return nil, ErrUnavailable }

// Decode returns ErrUnavailable in this build.
func (*Decoder) Decode([]byte, *screen.Frame) error { return ErrUnavailable }

// Close does nothing in this build.
func (*Decoder) Close() {}
