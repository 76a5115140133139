package main

import (
	"fmt"
	"slices"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/screen"
	"github.com/openbpclient/bpclient/screen/capture"
	"github.com/openbpclient/bpclient/screen/record"
)

// newScreenFeeds are the worker's captures of the screen, one per choice
// of screens, each opened when recording or live monitoring first needs
// it and closed when neither does: both subscribe to the same one
// (issue 16: "from one capture").
func newScreenFeeds(log zerolog.Logger) *record.Feeds {
	return record.NewFeeds(func(screens string) (record.Grabber, error) { return openWatchedCapture(log, screens) }, nil)
}

// openWatchedCapture opens the capture of screens and remembers the
// monitors it was opened for, so that the feed opens it again when they
// change (a capture's area is fixed at open). The backend chosen (DXGI
// or GDI, X11 with or without shared memory) and why are logged at
// debug, and again if it changes while grabbing.
func openWatchedCapture(log zerolog.Logger, screens string) (record.Grabber, error) {
	c, err := capture.Open(capture.Options{Screens: screens})
	if err != nil {
		return nil, err
	}
	layout, err := c.Screens()
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("list the monitors: %w", err)
	}
	w := &watchedCapture{Capturer: c, layout: layout, log: log.With().Str("screens", screens).Logger()}
	w.noteBackend("screen capture opened")
	return w, nil
}

// watchedCapture is a Capturer that tells the feed (record.StaleTeller)
// when the monitors are no longer those it was opened for.
type watchedCapture struct {
	capture.Capturer
	layout  []capture.Screen
	log     zerolog.Logger
	backend capture.Backend
}

func (w *watchedCapture) Grab(f *screen.Frame) error {
	err := w.Capturer.Grab(f)
	if w.Backend() != w.backend {
		w.noteBackend("screen capture changed backend")
	}
	return err
}

func (w *watchedCapture) noteBackend(msg string) {
	w.backend = w.Backend()
	w.log.Debug().Str("backend", w.backend.Name).Str("fallback", w.backend.Fallback).Msg(msg)
}

func (w *watchedCapture) Stale() bool {
	now, err := w.Screens()
	return err != nil || !slices.Equal(now, w.layout)
}

// captureStatus is helper.status's "screenCapture": each shared
// capture's opens, grabs and consumers, which show that recording and
// monitoring grab the screen once between them.
type captureStatus struct{ feeds *record.Feeds }

func (s captureStatus) Name() string                     { return "screenCapture" }
func (s captureStatus) Capabilities() []string           { return nil }
func (s captureStatus) Methods() map[string]agent.Method { return nil }
func (s captureStatus) Status() any                      { return s.feeds.Stats() }
