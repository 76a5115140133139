package monitorapi

import (
	"context"
	"time"

	"github.com/openbpclient/bpclient/desktop/notify"
)

// indicatorTimeout bounds a call to the notification service.
const indicatorTimeout = 3 * time.Second

// indicatorHandle takes the indicator off the screen; the zero value
// shows nothing.
type indicatorHandle struct {
	ind Indicator
	id  notify.ID
}

func (h indicatorHandle) close() {
	if h.ind == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), indicatorTimeout)
	defer cancel()
	_ = h.ind.Close(ctx, h.id)
}

// showIndicator tells the agent that a supervisor watches, when the
// admin policy asks for it (screenMonitoringIndicator). It stays until
// the monitoring ends.
func (s *Service) showIndicator() indicatorHandle {
	if s.opts.Policy == nil || s.opts.Indicator == nil {
		return indicatorHandle{}
	}
	pol, _, err := s.opts.Policy.Load()
	if err != nil {
		s.log.Warn().Err(err).Msg("policy unreadable: monitoring indicator not shown")
		return indicatorHandle{}
	}
	if !pol.ScreenMonitoringIndicator {
		return indicatorHandle{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), indicatorTimeout)
	defer cancel()
	id, err := s.opts.Indicator.Show(ctx, notify.Notification{
		AppName: "BPClient",
		Title:   "Your screen is being watched",
		Body:    "A supervisor is watching your screen live.",
		Timeout: -1,
		Urgency: notify.UrgencyNormal,
		Icon:    "video-display",
	})
	if err != nil {
		s.log.Warn().Err(err).Msg("monitoring indicator not shown")
		return indicatorHandle{}
	}
	return indicatorHandle{ind: s.opts.Indicator, id: id}
}
