//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/desktop/notify"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/monitorapi"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/internal/agenttest"
	"github.com/openbpclient/bpclient/internal/desktoptest"
	"github.com/openbpclient/bpclient/internal/testpeers"
	"github.com/openbpclient/bpclient/screen/live"
	"github.com/openbpclient/bpclient/screen/vp8"
)

// TestScreenMonitoringIndicator: with screenMonitoringIndicator in the
// admin policy the agent is shown a notification (by the desktop's real
// notification server, dunst) while a supervisor watches, and it goes
// when the monitoring stops. Both helpers run in this process here (the
// admin policy of a `bpclient agent` is a system file), over the real
// capture, encoder, decoder and notification service.
func TestScreenMonitoringIndicator(t *testing.T) {
	if !vp8.Available() {
		if testpeers.Required() {
			t.Fatal("screen/vp8 is not in this build: test with -tags vpx (scripts/test.sh does)")
		}
		t.Skip("SKIP: screen/vp8 is not in this build (-tags vpx and cgo with libvpx-dev)")
	}
	d := desktoptest.Start(t)
	if d == nil {
		return
	}
	dir := t.TempDir()
	store := &policy.Store{AdminFile: filepath.Join(dir, "admin.json"), UserFile: filepath.Join(dir, "user.json")}
	if err := os.WriteFile(store.AdminFile, []byte(`{"domains":["agent.example.test"],"screenMonitoringIndicator":true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := notify.Open(t.Context(), notify.Options{BusAddress: d.BusAddress})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Stop() })
	agentSide := agenttest.Start(t, func(srv *agent.Server) []agent.Service {
		svc := monitorapi.New(monitorapi.Options{Server: srv, Source: live.ScreenSource(d.Display), Policy: store, Indicator: n})
		t.Cleanup(svc.Close)
		return []agent.Service{svc}
	})
	superSide := agenttest.Start(t, func(srv *agent.Server) []agent.Service {
		svc := monitorapi.New(monitorapi.Options{Server: srv, NewDecoder: live.NewVP8Decoder})
		t.Cleanup(svc.Close)
		return []agent.Service{svc}
	})
	w := &monitorWorld{agentPage: agentSide.Open("agent desktop", agenttest.OriginA), superPage: superSide.Open("supervisor desktop", agenttest.OriginA)}
	if shown := d.Displayed(); shown != 0 {
		t.Fatalf("%d notifications before any monitoring", shown)
	}
	agentCursor := 0
	w.connect(t, "m1", "v1", 2)
	w.agentPage.Await(&agentCursor, "monitor live", stateIs(monitorapi.EventMonitorState, "live"))
	d.WaitDisplayed(1, 10*time.Second)
	if jerr := w.agentPage.Call("screen.monitor.stop", map[string]any{"monitorId": "m1"}, nil); jerr != nil {
		t.Fatal(jerr)
	}
	w.agentPage.Await(&agentCursor, "monitor ended", stateIs(monitorapi.EventMonitorState, "ended"))
	d.WaitDisplayed(0, 10*time.Second)
	var seen bool
	for _, h := range d.History() {
		seen = seen || strings.Contains(h.Summary, "Your screen is being watched")
	}
	if !seen {
		t.Errorf("dunst's history has no monitoring notice: %+v", d.History())
	}
}
