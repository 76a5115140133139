package popupapi

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/openbpclient/bpclient/desktop/notify"
)

// reopenEvery bounds how often a missing notifier is looked for again.
const reopenEvery = time.Second

var errNoNotifier = errors.New("popup: no notification service")

// notifierState is the service's notifier: the one it started with, or
// one Options.Open found later, when the notification server came up
// after the agent.
type notifierState struct {
	nmu            sync.Mutex
	n              notify.Notifier
	unavailableErr error
	lastTry        time.Time
	closed         bool
	opening        sync.Mutex // one Open at a time
}

func (s *Service) notifier() notify.Notifier {
	s.nmu.Lock()
	defer s.nmu.Unlock()
	return s.n
}

func (s *Service) notifierAndWhy() (notify.Notifier, error) {
	s.nmu.Lock()
	defer s.nmu.Unlock()
	return s.n, s.unavailableErr
}

// closeNotifier is Close's: no notifier is opened after it.
func (s *Service) closeNotifier() notify.Notifier {
	s.nmu.Lock()
	defer s.nmu.Unlock()
	s.closed = true
	return s.n
}

// ensureNotifier returns the notifier, first trying Options.Open when
// there is none (at most once every reopenEvery); nil: still none.
func (s *Service) ensureNotifier(ctx context.Context) notify.Notifier {
	if n := s.notifier(); n != nil || s.opts.Open == nil {
		return n
	}
	s.opening.Lock()
	defer s.opening.Unlock()
	s.nmu.Lock()
	if s.n != nil || s.closed || time.Since(s.lastTry) < reopenEvery {
		n := s.n
		s.nmu.Unlock()
		return n
	}
	s.lastTry = time.Now()
	s.nmu.Unlock()

	n, err := s.opts.Open(ctx)
	s.nmu.Lock()
	defer s.nmu.Unlock()
	if err != nil {
		s.unavailableErr = err
		return nil
	}
	if s.closed {
		_ = n.Stop()
		return nil
	}
	s.n, s.unavailableErr = n, nil
	s.startPump(n)
	s.log.Info().Str("server", n.Capabilities().Server).Bool("actions", n.Capabilities().Actions).
		Msg("desktop pop-ups: the notification service has appeared")
	return n
}
