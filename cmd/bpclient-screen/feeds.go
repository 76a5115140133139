package main

import (
	"fmt"
	"slices"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/screen/capture"
	"github.com/openbpclient/bpclient/screen/record"
)

// newScreenFeeds are the worker's captures of the screen, one per choice
// of screens, each opened when recording or live monitoring first needs
// it and closed when neither does: both subscribe to the same one
// (issue 16: "from one capture").
func newScreenFeeds() *record.Feeds {
	return record.NewFeeds(openWatchedCapture, nil)
}

// openWatchedCapture opens the capture of screens and remembers the
// monitors it was opened for, so that the feed opens it again when they
// change (a capture's area is fixed at open).
func openWatchedCapture(screens string) (record.Grabber, error) {
	c, err := capture.Open(capture.Options{Screens: screens})
	if err != nil {
		return nil, err
	}
	layout, err := c.Screens()
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("list the monitors: %w", err)
	}
	return &watchedCapture{Capturer: c, layout: layout}, nil
}

// watchedCapture is a Capturer that tells the feed (record.StaleTeller)
// when the monitors are no longer those it was opened for.
type watchedCapture struct {
	capture.Capturer
	layout []capture.Screen
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
