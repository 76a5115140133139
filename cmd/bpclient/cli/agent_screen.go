package cli

import (
	"context"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/desktop/notify"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/paths"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/helper/screenapi"
	"github.com/openbpclient/bpclient/screen/record"
)

// startScreen registers the screen service: its spool beside
// BPClient.log (it uploads what an earlier agent left), the captures it
// shares with live monitoring, and a notifier of its own for the
// recording indicator.
func startScreen(ctx context.Context, srv *agent.Server, store *policy.Store, log zerolog.Logger, feeds *record.Feeds) (*screenapi.Service, func(), error) {
	dir, err := paths.LogDir()
	if err != nil {
		return nil, nil, err
	}
	var ind screenapi.Indicator
	octx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	n, nerr := notify.Open(octx, notify.Options{})
	if nerr == nil {
		ind = n
	}
	parts, unavailable := screenParts()
	if unavailable != nil {
		log.Info().Err(unavailable).Msg("no screen recording in this build")
	}
	svc, err := screenapi.New(screenapi.Options{Logger: log, Events: srv, Policy: store, SpoolDir: filepath.Join(dir, "screen-spool"),
		Feeds: feeds, Parts: parts, Unavailable: unavailable, Indicator: ind})
	stop := func() {
		svc.Close()
		if n != nil {
			_ = n.Stop()
		}
	}
	if err != nil {
		if n != nil {
			_ = n.Stop()
		}
		return nil, nil, err
	}
	if err := srv.Register(svc); err != nil {
		stop()
		return nil, nil, err
	}
	return svc, stop, nil
}
