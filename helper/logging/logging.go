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

// OpenRotating opens path for the agent, which owns rotation: at 10 MB
// the log is renamed with its time and a new one begun; the 5 newest
// copies of the last 30 days are kept.
func OpenRotating(path string) (io.WriteCloser, error) {
	return openRotating(path, maxSizeMB, maxBackups)
}

func openRotating(path string, sizeMB, backups int) (io.WriteCloser, error) {
	if err := privateLogFolder(path); err != nil {
		return nil, err
	}
	return &lumberjack.Logger{Filename: path, MaxSize: sizeMB, MaxBackups: backups, MaxAge: maxAgeDays}, nil
}

// privateLogFolder makes the log's folder 0700 and an existing log 0600:
// the log names the numbers called and the pages used. MkdirAll alone
// leaves a folder that was already there as it was, and lumberjack
// gives each new file the mode of the one it replaces, so a log once
// made readable by others would stay so.
func privateLogFolder(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("log dir: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("log dir: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("log file: %w", err)
	}
	return nil
}

// OpenAppend opens path for a short-lived process that must not rotate:
// each line is one write to an O_APPEND file, so lines from several
// processes do not interleave.
func OpenAppend(path string) (io.WriteCloser, error) {
	if err := privateLogFolder(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	return f, nil
}
