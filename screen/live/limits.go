package live

import "fmt"

// The bounds of a stream: a supervisor watches a few frames a second, and
// no picture wider than a 1080p screen travels (issue 16).
const (
	MinFPS          = 1
	MaxFPS          = 10
	DefaultFPS      = 2
	MaxWidth        = 1920
	DefaultMaxWidth = 1920
	// minWidth keeps a caller from asking for a picture too small to read.
	minWidth = 320
)

// StreamParams are what a viewer asked for: frames a second and the widest
// picture it wants (the source scales down to it, keeping the aspect).
type StreamParams struct {
	FPS      int
	MaxWidth int
}

// Normalize applies the defaults to zero values and checks the bounds; a
// value outside them is an error (the caller asked for something absurd),
// not silently clamped.
func (p StreamParams) Normalize() (StreamParams, error) {
	if p.FPS == 0 {
		p.FPS = DefaultFPS
	}
	if p.MaxWidth == 0 {
		p.MaxWidth = DefaultMaxWidth
	}
	if p.FPS < MinFPS || p.FPS > MaxFPS {
		return p, fmt.Errorf("fps %d is outside %d–%d", p.FPS, MinFPS, MaxFPS)
	}
	if p.MaxWidth < minWidth || p.MaxWidth > MaxWidth {
		return p, fmt.Errorf("maxWidth %d is outside %d–%d", p.MaxWidth, minWidth, MaxWidth)
	}
	return p, nil
}
