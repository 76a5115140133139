package cli

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/desktop/notify"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/popupapi"
)

// startPopups opens the desktop's notification service and registers the
// popup service; without a service the agent runs on, popup.show says why
// it is unavailable, and looks again (the service may start later).
func startPopups(ctx context.Context, srv *agent.Server, log zerolog.Logger) (*popupapi.Service, error) {
	octx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	n, err := notify.Open(octx, notify.Options{})
	if err != nil {
		log.Warn().Err(err).Msg("no desktop pop-ups")
		n = nil
	} else {
		log.Info().Str("server", n.Capabilities().Server).Bool("actions", n.Capabilities().Actions).Msg("desktop pop-ups")
	}
	reopen := func(ctx context.Context) (notify.Notifier, error) { return notify.Open(ctx, notify.Options{}) }
	svc := popupapi.New(popupapi.Options{Logger: log, Notifier: n, Unavailable: err, Open: reopen, Server: srv})
	if err := srv.Register(svc); err != nil {
		svc.Close()
		return nil, err
	}
	return svc, nil
}
