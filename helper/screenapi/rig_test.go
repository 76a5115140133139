package screenapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/desktop/notify"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/desktopapi"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/helper/screenapi"
	"github.com/openbpclient/bpclient/internal/agenttest"
	"github.com/openbpclient/bpclient/screen"
	"github.com/openbpclient/bpclient/screen/record"
	"github.com/openbpclient/bpclient/screen/spool"
)

// solidScreen is a fake screen of one colour (the real capture is
// screen/capture's, tested in internal/e2e).
type solidScreen struct {
	mu    sync.Mutex
	grabs int
}

func (s *solidScreen) Grab(f *screen.Frame) error {
	s.mu.Lock()
	s.grabs++
	s.mu.Unlock()
	f.Resize(64, 48)
	return nil
}
func (s *solidScreen) Close() error { return nil }
func (s *solidScreen) count() int   { s.mu.Lock(); defer s.mu.Unlock(); return s.grabs }

// byteEncoder and lineSegment are fakes of VP8 and WebM: a segment is a
// line per frame, so the server's bodies count frames.
type byteEncoder struct{ n int }

func (e *byteEncoder) Encode(f *screen.Frame, forceKey bool) ([]byte, bool, error) {
	e.n++
	return []byte("f"), forceKey || e.n == 1, nil
}
func (e *byteEncoder) Close() {}

type lineSegment struct{ w io.Writer }

func (s lineSegment) WriteFrame(data []byte, key bool, pts time.Duration) error {
	_, err := io.WriteString(s.w, string(data)+strconv.FormatBool(key)+"\n")
	return err
}
func (s lineSegment) Close() error { return nil }

var fakeParts = record.Parts{
	NewEncoder: func(w, h, fps int) (record.Encoder, error) { return &byteEncoder{}, nil },
	NewSegment: func(w io.Writer, width, height int) (record.Segment, error) { return lineSegment{w}, nil },
}

// fakeIndicator notes what the indicator shows.
type fakeIndicator struct {
	mu    sync.Mutex
	shown int
	open  bool
}

func (f *fakeIndicator) Show(context.Context, notify.Notification) (notify.ID, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shown++
	f.open = true
	return 7, nil
}

func (f *fakeIndicator) Close(context.Context, notify.ID) error {
	f.mu.Lock()
	f.open = false
	f.mu.Unlock()
	return nil
}

func (f *fakeIndicator) state() (int, bool) { f.mu.Lock(); defer f.mu.Unlock(); return f.shown, f.open }

type upload struct {
	segment int
	auth    string
	body    string
}

type rig struct {
	t      *testing.T
	a      *agenttest.Agent
	svc    *screenapi.Service
	srv    *httptest.Server
	screen *solidScreen
	ind    *fakeIndicator
	spool  string
	clock  *clockwork.FakeClock

	mu      sync.Mutex
	status  int
	uploads []upload
}

func newRig(t *testing.T, indicator bool) *rig { t.Helper(); return newRigShowing(t, indicator, nil) }

// newRigShowing is newRig with the indicator on notifier (nil: a fake).
func newRigShowing(t *testing.T, indicator bool, notifier screenapi.Indicator) *rig {
	t.Helper()
	return newRigWith(t, indicator, notifier, nil)
}

// xSession is the environment of an X11 session (the rig's default: the
// fake screen stands for its display).
var xSession = map[string]string{"DISPLAY": ":fake"}

// newRigWith is newRigShowing with the service's options adjusted by
// adjust (nil: as they are).
func newRigWith(t *testing.T, indicator bool, notifier screenapi.Indicator, adjust func(*screenapi.Options)) *rig {
	t.Helper()
	r := &rig{t: t, screen: &solidScreen{}, ind: &fakeIndicator{}, status: http.StatusCreated, clock: clockwork.NewFakeClock()}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		n, _ := strconv.Atoi(req.Header.Get(spool.HeaderSegment))
		r.mu.Lock()
		st := r.status
		if st < 300 {
			r.uploads = append(r.uploads, upload{segment: n, auth: req.Header.Get("Authorization"), body: string(body)})
		}
		r.mu.Unlock()
		w.WriteHeader(st)
	}))
	t.Cleanup(r.srv.Close)
	var ind screenapi.Indicator = r.ind
	if notifier != nil {
		ind = notifier
	}
	dir := t.TempDir()
	store := &policy.Store{AdminFile: filepath.Join(dir, "admin.json"), UserFile: filepath.Join(dir, "user.json")}
	admin, _ := json.Marshal(map[string]any{"domains": []string{"agent.example.test", "crm.example.test", "127.0.0.1"},
		"screenRecordingIndicator": indicator})
	if err := os.WriteFile(store.AdminFile, admin, 0o600); err != nil {
		t.Fatal(err)
	}
	r.spool = filepath.Join(dir, "spool")
	r.a = agenttest.Start(t, func(srv *agent.Server) []agent.Service {
		o := screenapi.Options{Logger: zerolog.Nop(), Events: srv, Policy: store, SpoolDir: r.spool,
			HTTPClient: r.srv.Client(), Parts: fakeParts, Indicator: ind, Clock: r.clock,
			Capture: func(string) (record.Grabber, error) { return r.screen, nil },
			Spool:   func(o *spool.Options) { o.MinBackoff, o.MaxBackoff = 20*time.Millisecond, 100*time.Millisecond },
			Getenv:  func(k string) string { return xSession[k] }}
		if adjust != nil {
			adjust(&o)
		}
		svc, err := screenapi.New(o)
		if err != nil {
			t.Fatal(err)
		}
		r.svc = svc
		t.Cleanup(svc.Close)
		return []agent.Service{svc, desktopapi.New(desktopapi.Options{Logger: zerolog.Nop(), Events: srv, Screen: svc})}
	})
	return r
}

// framePeriod is the period of startParams' 10 fps.
const framePeriod = 100 * time.Millisecond

// frames moves the clock n frame periods, each grabbed.
func (r *rig) frames(n int) {
	r.t.Helper()
	for i := 0; i < n; i++ {
		before := r.screen.count()
		r.clock.Advance(framePeriod)
		deadline := time.Now().Add(10 * time.Second)
		for r.screen.count() == before {
			if time.Now().After(deadline) {
				r.t.Fatalf("frame %d of %d was not grabbed", i+1, n)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func (r *rig) url() string { return r.srv.URL + "/upload" }

func (r *rig) got() []upload {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]upload(nil), r.uploads...)
}

func (r *rig) startParams(id string) map[string]any {
	return map[string]any{"recordingId": id, "uploadUrl": r.url(), "headers": map[string]string{"Authorization": "Bearer tkn"},
		"fps": 10, "segmentSeconds": 2}
}

// awaitState waits for a screen.record.state event of state.
func awaitState(s *agenttest.Session, cursor *int, state string) map[string]string {
	var p map[string]string
	s.Await(cursor, "screen.record.state "+state, func(ev client.Event) bool {
		if ev.Method != screenapi.EventState {
			return false
		}
		p = nil
		_ = json.Unmarshal(ev.Params, &p)
		return p["state"] == state
	})
	return p
}
