package main

import (
	"path/filepath"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/paths"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/helper/screenapi"
	"github.com/openbpclient/bpclient/helper/screenproxy"
	"github.com/openbpclient/bpclient/screen/record"
)

// startScreen makes the recording service: its spool beside BPClient.log
// (it uploads what an earlier worker left), the captures it shares with
// live monitoring, and the recording indicator (ind, nil: none).
func startScreen(w *screenproxy.Worker, store *policy.Store, log zerolog.Logger, feeds *record.Feeds, ind screenapi.Indicator) (*screenapi.Service, error) {
	dir, err := paths.LogDir()
	if err != nil {
		return nil, err
	}
	parts, unavailable := screenParts()
	if unavailable != nil {
		log.Info().Err(unavailable).Msg("no screen recording in this build")
	}
	return screenapi.New(screenapi.Options{Logger: log, Events: w, Policy: store, SpoolDir: filepath.Join(dir, "screen-spool"),
		Feeds: feeds, Parts: parts, Unavailable: unavailable, Indicator: ind})
}
