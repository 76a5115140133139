package cli

import (
	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/desktop/idle"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/presenceapi"
)

// startPresence opens the desktop's idle source and registers the
// presence service; without a source presence.status says why.
func startPresence(srv *agent.Server, log zerolog.Logger) (*presenceapi.Service, error) {
	src, err := idle.Open(idle.Options{})
	if err != nil {
		log.Warn().Err(err).Msg("no presence")
		src = nil
	} else {
		log.Info().Str("source", src.Name()).Msg("presence from input idle time")
	}
	svc := presenceapi.New(presenceapi.Options{Logger: log, Source: src, Unavailable: err, Events: srv})
	if err := srv.Register(svc); err != nil {
		svc.Close()
		return nil, err
	}
	return svc, nil
}
