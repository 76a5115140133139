package sip_test

import (
	"context"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/sip"
)

// TestEchoServer is `bpclient demo` without the terminal: the phone
// registers with the embedded service, calls the echo, and hears its own
// tone back.
func TestEchoServer(t *testing.T) {
	t.Parallel()
	echo, err := sip.StartEchoServer("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	audio := newTestAudio(700)
	cfg := echo.DemoConfig()
	cfg.Codecs = []string{"PCMA"}
	p, ev := startPhone(t, cfg, sip.WithAudio(audio.factory))
	if err := p.Register(); err != nil {
		t.Fatal(err)
	}
	ev.waitReg(t, sip.Registered)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := p.Dial(ctx, echo.EchoTarget())
	if err != nil {
		t.Fatal(err)
	}
	if cs := ev.waitCall(t, sip.StateConnected); cs.Codec != "PCMA" {
		t.Errorf("codec %s", cs.Codec)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := c.Hold(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	heard, rate := audio.heard(c.ID())
	checkTone(t, "echo", heard, rate, 700)
}
