//go:build linux

package presenceapi_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/desktop/idle"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/presenceapi"
	"github.com/openbpclient/bpclient/internal/agenttest"
	"github.com/openbpclient/bpclient/internal/desktoptest"
)

type presence struct {
	State       string  `json:"state"`
	IdleSeconds float64 `json:"idleSeconds"`
	Since       string  `json:"since"`
	Source      string  `json:"source"`
}

func startAgent(t *testing.T, d *desktoptest.Desktop) *agenttest.Agent {
	t.Helper()
	src, err := idle.Open(idle.Options{Display: d.Display})
	if err != nil {
		t.Fatal(err)
	}
	return agenttest.Start(t, func(srv *agent.Server) []agent.Service {
		svc := presenceapi.New(presenceapi.Options{Logger: zerolog.Nop(), Source: src, Events: srv})
		t.Cleanup(svc.Close)
		return []agent.Service{svc}
	})
}

// TestPresenceFromX11IdleTime: under Xvfb with no input the user turns
// idle once idleAfterSeconds pass, idle time growing; pointer input from
// xdotool flips the state to active within 1 s; a page gets the events
// in that order, and helper.status names the source.
func TestPresenceFromX11IdleTime(t *testing.T) {
	d := desktoptest.StartX(t)
	d.Input(10, 10) // start from known input
	a := startAgent(t, d)
	page := a.Open("page", agenttest.OriginA)

	var st presence
	if jerr := page.Call("presence.configure", map[string]any{"idleAfterSeconds": 1.5}, &st); jerr != nil {
		t.Fatal(jerr)
	}
	if st.Source != "x11-screensaver" {
		t.Errorf("source %q, want x11-screensaver", st.Source)
	}
	var s1, s2 presence
	page.Call("presence.status", nil, &s1)
	time.Sleep(600 * time.Millisecond)
	page.Call("presence.status", nil, &s2)
	if s2.IdleSeconds <= s1.IdleSeconds {
		t.Errorf("idle time did not grow without input: %.3f then %.3f", s1.IdleSeconds, s2.IdleSeconds)
	}

	cursor := 0
	changed := func(state string) (presence, time.Time) {
		t.Helper()
		ev := page.Await(&cursor, "presence.changed "+state, func(ev client.Event) bool { return ev.Method == presenceapi.EventChanged })
		var p presence
		if err := json.Unmarshal(ev.Params, &p); err != nil {
			t.Fatal(err)
		}
		if p.State != state {
			t.Fatalf("presence.changed %s, want %s next", ev.Params, state)
		}
		return p, time.Now()
	}
	idleEv, _ := changed(presenceapi.StateIdle)
	if idleEv.IdleSeconds < 1.5 || idleEv.Since == "" {
		t.Errorf("idle event %+v: want idleSeconds >= 1.5 and since", idleEv)
	}

	input := time.Now()
	d.Input(400, 300)
	activeEv, seen := changed(presenceapi.StateActive)
	if lag := seen.Sub(input); lag > time.Second {
		t.Errorf("active %v after the input, want within 1 s", lag)
	} else {
		t.Logf("input -> presence.changed active: %v (machine shared, under load)", lag.Round(time.Millisecond))
	}
	if activeEv.IdleSeconds > 1 {
		t.Errorf("active event %+v: idle time after input", activeEv)
	}

	var hs map[string]json.RawMessage
	page.Call("helper.status", nil, &hs)
	var ps presence
	if err := json.Unmarshal(hs["presence"], &ps); err != nil || ps.Source != "x11-screensaver" {
		t.Errorf("helper.status presence %s: want source x11-screensaver", hs["presence"])
	}
}

// TestPresenceLockedFromScreenSaver: with GNOME's D-Bus sources (fakes of
// Mutter's IdleMonitor and the ScreenSaver), locking is `locked` at once
// (within one read), unlocking with fresh input `active`, and idle time
// past the threshold `idle`, the events in that order.
func TestPresenceLockedFromScreenSaver(t *testing.T) {
	fake, addr := desktoptest.StartFakeGnome(t, true)
	fake.Set(100, false)
	src, err := idle.Open(idle.Options{BusAddress: addr, Source: idle.SourceMutter})
	if err != nil {
		t.Fatal(err)
	}
	a := agenttest.Start(t, func(srv *agent.Server) []agent.Service {
		svc := presenceapi.New(presenceapi.Options{Logger: zerolog.Nop(), Source: src, Events: srv, Interval: 100 * time.Millisecond})
		t.Cleanup(svc.Close)
		return []agent.Service{svc}
	})
	page := a.Open("page", agenttest.OriginA)
	var st presence
	if jerr := page.Call("presence.configure", map[string]any{"idleAfterSeconds": 60}, &st); jerr != nil {
		t.Fatal(jerr)
	}
	if st.Source != "mutter-idlemonitor" || st.State != presenceapi.StateActive {
		t.Fatalf("status %+v, want active from mutter-idlemonitor", st)
	}
	cursor := 0
	next := func(want string) presence {
		t.Helper()
		ev := page.Await(&cursor, "presence.changed", func(ev client.Event) bool { return ev.Method == presenceapi.EventChanged })
		var p presence
		if err := json.Unmarshal(ev.Params, &p); err != nil {
			t.Fatal(err)
		}
		if p.State != want {
			t.Fatalf("presence.changed %s, want %s next", ev.Params, want)
		}
		return p
	}
	lockedAt := time.Now()
	fake.Set(3000, true)
	next(presenceapi.StateLocked)
	if lag := time.Since(lockedAt); lag > time.Second {
		t.Errorf("locked reported %v after the lock", lag)
	}
	fake.Set(50, false)
	next(presenceapi.StateActive)
	fake.Set(61000, false)
	if p := next(presenceapi.StateIdle); p.IdleSeconds < 60 {
		t.Errorf("idle event %+v", p)
	}
}
