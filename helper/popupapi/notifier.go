package popupapi

import "github.com/openbpclient/bpclient/desktop/notify"

// Notifier is the notification service the pop-ups use, nil when there
// is none, for another service's notices (the screen-monitoring
// indicator): notify.Notifier is safe for concurrent use, and the
// pop-ups ignore the events of notifications they did not show.
func (s *Service) Notifier() notify.Notifier { return s.opts.Notifier }
