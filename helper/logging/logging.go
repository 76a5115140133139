// Package logging writes BPClient.log: JSON lines from zerolog, rotated by
// the agent. The host relay appends to the same file without rotating it,
// so that support staff find one log.
package logging

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"
	"gopkg.in/natefinch/lumberjack.v2"
)

// Rotation limits for BPClient.log.
const (
	maxSizeMB  = 10
	maxBackups = 5
	maxAgeDays = 30
)

// New returns a logger writing to w, stamped with the process role and a
// millisecond UTC time (set by a hook rather than zerolog's global format).
func New(w io.Writer, role string) zerolog.Logger {
	return zerolog.New(w).Hook(stamp{}).With().Str("proc", role).Int("pid", os.Getpid()).Logger()
}

type stamp struct{}

func (stamp) Run(e *zerolog.Event, _ zerolog.Level, _ string) {
	e.Str("time", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"))
}

// OpenRotating opens path for the agent, which owns rotation.
func OpenRotating(path string) (io.WriteCloser, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("log dir: %w", err)
	}
	return &lumberjack.Logger{Filename: path, MaxSize: maxSizeMB, MaxBackups: maxBackups, MaxAge: maxAgeDays}, nil
}

// OpenAppend opens path for a short-lived process that must not rotate:
// each line is one write to an O_APPEND file, so lines from several
// processes do not interleave.
func OpenAppend(path string) (io.WriteCloser, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("log dir: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	return f, nil
}
