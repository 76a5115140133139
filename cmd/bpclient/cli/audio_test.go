package cli

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/audio"
)

// A sound system that never finishes starting must not keep the agent
// from serving: it gets an error that says so, in bounded time.
func TestAudioOpenThatHangsIsGivenUp(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	hang := func(...audio.Option) (*audio.System, error) {
		<-release
		return nil, errors.New("late")
	}
	sys, err := openAudioWithin(hang, 50*time.Millisecond, zerolog.Nop())
	if sys != nil || err == nil || !strings.Contains(err.Error(), "did not finish within") {
		t.Fatalf("got %v, %v", sys, err)
	}
	quick := func(...audio.Option) (*audio.System, error) { return nil, audio.ErrUnavailable }
	if _, err := openAudioWithin(quick, time.Minute, zerolog.Nop()); !errors.Is(err, audio.ErrUnavailable) {
		t.Fatalf("a prompt answer was not passed on: %v", err)
	}
}
