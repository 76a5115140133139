package screenapi

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/desktop/notify"
)

// Indicator is what the recording indicator needs of the desktop's
// notifications (a notify.Notifier is one).
type Indicator interface {
	Show(ctx context.Context, n notify.Notification) (notify.ID, error)
	Close(ctx context.Context, id notify.ID) error
}

// indicator keeps one "screen recording is on" notification up while a
// recording runs, when the admin policy asks for it.
type indicator struct {
	n   Indicator
	log zerolog.Logger

	mu    sync.Mutex
	shown bool
	id    notify.ID
}

func newIndicator(n Indicator, log zerolog.Logger) *indicator { return &indicator{n: n, log: log} }

var indicatorNote = notify.Notification{AppName: "BPClient", Title: "Screen recording is on",
	Body: "Your screen is being recorded.", Timeout: -1, Urgency: notify.UrgencyNormal, Icon: "media-record"}

func (i *indicator) show() {
	if i.n == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.shown {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	id, err := i.n.Show(ctx, indicatorNote)
	if err != nil {
		i.log.Warn().Err(err).Msg("screen: the recording indicator could not be shown")
		return
	}
	i.shown, i.id = true, id
}

func (i *indicator) hide() {
	if i.n == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if !i.shown {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := i.n.Close(ctx, i.id); err != nil {
		i.log.Debug().Err(err).Msg("screen: closing the recording indicator")
	}
	i.shown = false
}

func (i *indicator) close() { i.hide() }
