package spool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

func newTestSpool(t *testing.T, dir string, u *uploadServer, mod func(*Options)) (*Spool, *eventLog) {
	t.Helper()
	evs := newEventLog()
	o := Options{Dir: dir, Client: u.client(), Allow: allowLoopback, Events: evs.add,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 400 * time.Millisecond}
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, evs
}

func manifestFor(u *uploadServer, id string) Manifest {
	return Manifest{RecordingID: id, UploadURL: u.url(), Headers: map[string]string{"Authorization": testToken}}
}

// TestUploadsEachSegmentWithItsHeaders: each segment is POSTed over
// HTTPS with the page's headers, its number and video/webm, in order;
// the files are private while they wait and gone once uploaded.
func TestUploadsEachSegmentWithItsHeaders(t *testing.T) {
	u := startUploadServer(t)
	hold := make(chan struct{})
	u.status = func(r *http.Request) int { <-hold; return http.StatusCreated }
	dir := filepath.Join(t.TempDir(), "spool")
	s, evs := newTestSpool(t, dir, u, nil)
	if err := s.Begin(manifestFor(u, "rec-1")); err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 3; n++ {
		if err := s.Add("rec-1", n, segmentData(n, 1000+n)); err != nil {
			t.Fatal(err)
		}
	}
	checkPrivate(t, dir)
	close(hold)
	got := u.waitReceived(3, hangTimeout)
	for i, r := range got {
		if r.segment != i+1 || r.recording != "rec-1" || r.contentType != "video/webm" || r.auth != testToken || r.method != "POST" ||
			!bytes.Equal(r.body, segmentData(i+1, 1001+i)) {
			t.Errorf("upload %d: segment %d of %q, %s %s, auth %v, %d bytes", i, r.segment, r.recording, r.method, r.contentType, r.auth == testToken, len(r.body))
		}
	}
	if e := evs.await(t, EventUploaded, 3); e.Segment != 3 || e.Bytes != 1003 {
		t.Errorf("third uploaded event %+v", e)
	}
	if err := s.End("rec-1"); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("spool not empty after the last upload: %v", left)
	}
}

// checkPrivate: the folders are 0700 and the files 0600.
func checkPrivate(t *testing.T, dir string) {
	t.Helper()
	n := 0
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if info.IsDir() {
			want = 0o700
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, info.Mode().Perm(), want)
		}
		n++
		return nil
	})
	if n < 5 { // spool, recording, manifest, segments
		t.Errorf("only %d entries in the spool", n)
	}
}

// TestRefusesHTTPAndHostsOffTheList: http and hosts the allow-list does
// not name are refused before anything is spooled.
func TestRefusesHTTPAndHostsOffTheList(t *testing.T) {
	u := startUploadServer(t)
	dir := t.TempDir()
	s, _ := newTestSpool(t, dir, u, nil)
	for _, raw := range []string{"http://127.0.0.1:1/x", "https://evil.example/x", "https://user:pw@127.0.0.1/x", "/relative", "ftp://127.0.0.1/"} {
		m := manifestFor(u, "r")
		m.UploadURL = raw
		if err := s.Begin(m); !errors.Is(err, ErrNotAllowed) {
			t.Errorf("%s: %v, want ErrNotAllowed", raw, err)
		}
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("refused recordings left %v", left)
	}
}

// TestOutageLosesNothing: the server goes away for 15 s (a real outage)
// while segments keep coming; nothing is lost, and when it comes back
// the spool drains in order.
func TestOutageLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short: the outage lasts 15 s")
	}
	u := startUploadServer(t)
	s, evs := newTestSpool(t, t.TempDir(), u, nil)
	if err := s.Begin(manifestFor(u, "rec-out")); err != nil {
		t.Fatal(err)
	}
	const total = 12
	add := func(n int) {
		if err := s.Add("rec-out", n, segmentData(n, 4096)); err != nil {
			t.Fatal(err)
		}
	}
	add(1)
	add(2)
	evs.await(t, EventUploaded, 2)
	addr := u.addr
	u.down()
	outage := time.Now()
	for n := 3; n <= total; n++ {
		add(n)
		time.Sleep(1500 * time.Millisecond)
	}
	evs.await(t, EventRetry, 3)
	if got := len(u.received()); got != 2 {
		t.Fatalf("%d uploads during the outage", got)
	}
	t.Logf("outage of %v", time.Since(outage).Round(time.Second))
	u.up(addr)
	evs.await(t, EventUploaded, total)
	// Uploads are at least once: a segment whose answer was lost is sent
	// again, right after itself (the server tells by X-Segment-Number).
	got := u.received()
	want := 1
	for i, r := range got {
		if r.segment == want-1 && i > 0 {
			continue
		}
		if r.segment != want || !bytes.Equal(r.body, segmentData(want, 4096)) {
			t.Fatalf("upload %d is segment %d (%d bytes); want segment %d: every segment, in order", i, r.segment, len(r.body), want)
		}
		want++
	}
	if want != total+1 {
		t.Errorf("the server got segments up to %d, want %d", want-1, total)
	}
	if st := s.Stats(); st.Segments != 0 || st.Bytes != 0 {
		t.Errorf("spool not drained: %+v", st)
	}
}

// retryingSpool is a spool on a fake clock whose server is away.
func retryingSpool(t *testing.T, jitter float64, maxBytes int64) (*Spool, *eventLog, *clockwork.FakeClock, *uploadServer) {
	u := startUploadServer(t)
	clock := clockwork.NewFakeClock()
	s, evs := newTestSpool(t, t.TempDir(), u, func(o *Options) {
		o.Clock, o.MinBackoff, o.MaxBackoff = clock, time.Second, 16*time.Second
		o.Jitter = func() float64 { return jitter }
		o.MaxBytes = maxBytes
	})
	u.down()
	return s, evs, clock, u
}

// TestBackoffDoublesUpToItsCapWithJitter: each failure waits twice the
// one before, up to the cap, drawn from the upper half.
func TestBackoffDoublesUpToItsCapWithJitter(t *testing.T) {
	for _, jitter := range []float64{0, 0.5} {
		t.Run(fmt.Sprint(jitter), func(t *testing.T) {
			s, evs, clock, _ := retryingSpool(t, jitter, 0)
			if err := s.Begin(Manifest{RecordingID: "r", UploadURL: "https://127.0.0.1:1/u"}); err != nil {
				t.Fatal(err)
			}
			if err := s.Add("r", 1, []byte("x")); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), hangTimeout)
			defer cancel()
			for i, base := range []time.Duration{1, 2, 4, 8, 16, 16, 16} {
				base *= time.Second
				e := evs.await(t, EventRetry, i+1)
				want := base/2 + time.Duration(jitter*float64(base/2))
				if e.Delay != want || e.Attempt != i+1 {
					t.Fatalf("retry %d: attempt %d, delay %v, want %v", i+1, e.Attempt, e.Delay, want)
				}
				if err := clock.BlockUntilContext(ctx, 1); err != nil {
					t.Fatal(err)
				}
				// Not a moment early.
				clock.Advance(e.Delay - time.Millisecond)
				time.Sleep(20 * time.Millisecond)
				if n := countKind(evs.all(), EventRetry); n != i+1 {
					t.Fatalf("retry %d came %v early", n, time.Millisecond)
				}
				clock.Advance(time.Millisecond)
			}
		})
	}
}

func countKind(evs []Event, k EventKind) int {
	n := 0
	for _, e := range evs {
		if e.Kind == k {
			n++
		}
	}
	return n
}

// TestFullSpoolDropsTheOldest: past its cap the spool drops its oldest
// segment, with an event naming it, and keeps the new one.
func TestFullSpoolDropsTheOldest(t *testing.T) {
	const size = 1000
	s, evs, _, _ := retryingSpool(t, 0, 3*size)
	if err := s.Begin(Manifest{RecordingID: "full", UploadURL: "https://127.0.0.1:1/u"}); err != nil {
		t.Fatal(err)
	}
	add := func(n int) {
		t.Helper()
		if err := s.Add("full", n, segmentData(n, size)); err != nil {
			t.Fatal(err)
		}
	}
	add(1)
	evs.await(t, EventRetry, 1) // the uploader waits out its back-off: nothing in flight
	add(2)
	add(3)
	if countKind(evs.all(), EventDropped) != 0 {
		t.Fatal("dropped below the cap")
	}
	add(4)
	e := evs.await(t, EventDropped, 1)
	if e.Segment != 1 || e.RecordingID != "full" || e.Reason != ReasonSpoolFull || e.Bytes != size {
		t.Errorf("dropped %+v, want segment 1 for spool-full", e)
	}
	add(5)
	if e := evs.await(t, EventDropped, 2); e.Segment != 2 {
		t.Errorf("second drop is segment %d, want 2", e.Segment)
	}
	if st := s.Stats(); st.Segments != 3 || st.Bytes != 3*size {
		t.Errorf("stats %+v", st)
	}
	if s.Pending("full") != 3 {
		t.Errorf("pending %d", s.Pending("full"))
	}
}

// TestNewSpoolUploadsWhatTheOldOneLeft: an agent restart (a new Spool
// over the same folder) uploads the segments the old one could not, in
// order, and then clears the folder.
func TestNewSpoolUploadsWhatTheOldOneLeft(t *testing.T) {
	u := startUploadServer(t)
	dir := t.TempDir()
	u.status = func(*http.Request) int { return http.StatusServiceUnavailable }
	old, evs, _ := mustSpool(t, dir, u)
	if err := old.Begin(manifestFor(u, "left")); err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 3; n++ {
		if err := old.Add("left", n, segmentData(n, 2048)); err != nil {
			t.Fatal(err)
		}
	}
	evs.await(t, EventRetry, 1)
	old.Close()
	// What a crash leaves besides: half a segment being written.
	stray := filepath.Join(dir, folderName("left"), tmpPrefix+"00000004.webm.123")
	if err := os.WriteFile(stray, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	u.status = nil
	fresh, evs2, _ := mustSpool(t, dir, u)
	got := u.waitReceived(3, hangTimeout)
	for i, r := range got {
		if r.segment != i+1 || r.auth != testToken || !bytes.Equal(r.body, segmentData(i+1, 2048)) {
			t.Errorf("upload %d: segment %d, token kept %v", i, r.segment, r.auth == testToken)
		}
	}
	evs2.await(t, EventUploaded, 3)
	time.Sleep(50 * time.Millisecond)
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("folder not cleared after the resumed uploads: %v", left)
	}
	if err := fresh.Add("left", 4, []byte("x")); err == nil {
		t.Error("a recording of the old agent took a new segment")
	}
}

func mustSpool(t *testing.T, dir string, u *uploadServer) (*Spool, *eventLog, *syncBuffer) {
	t.Helper()
	buf := &syncBuffer{}
	s, evs := newTestSpool(t, dir, u, func(o *Options) { o.Logger = testLogger(buf) })
	return s, evs, buf
}

// TestUnauthorizedEndsTheRecording: 401 or 403 fails the recording with
// upload-unauthorized, discards its segments and takes no more.
func TestUnauthorizedEndsTheRecording(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			u := startUploadServer(t)
			hold := make(chan struct{})
			u.status = func(*http.Request) int { <-hold; return status }
			dir := t.TempDir()
			s, evs, _ := mustSpool(t, dir, u)
			if err := s.Begin(manifestFor(u, "denied")); err != nil {
				t.Fatal(err)
			}
			for n := 1; n <= 3; n++ {
				if err := s.Add("denied", n, []byte("data")); err != nil {
					t.Fatal(err)
				}
			}
			close(hold)
			e := evs.await(t, EventFailed, 1)
			if e.Reason != ReasonUnauthorized || e.Status != status || e.RecordingID != "denied" {
				t.Errorf("failed event %+v", e)
			}
			if err := s.Add("denied", 4, []byte("x")); err == nil {
				t.Error("a refused recording took another segment")
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 || s.Stats().Segments != 0 {
				t.Errorf("refused recording left %v, %+v", left, s.Stats())
			}
			if countKind(evs.all(), EventFailed) != 1 {
				t.Errorf("events %+v", evs.all())
			}
		})
	}
}

// TestRedirectIsNotFollowed: a redirect could hand the token to another
// host; it is not followed, and the segment is dropped as rejected.
func TestRedirectIsNotFollowed(t *testing.T) {
	u := startUploadServer(t)
	other := startUploadServer(t)
	u.status = func(r *http.Request) int { return http.StatusTemporaryRedirect }
	s, evs, _ := mustSpool(t, t.TempDir(), u)
	if err := s.Begin(manifestFor(u, "redir")); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("redir", 1, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if e := evs.await(t, EventDropped, 1); e.Reason != ReasonRejected || e.Status != http.StatusTemporaryRedirect {
		t.Errorf("dropped %+v", e)
	}
	if len(other.received()) != 0 {
		t.Error("the redirect was followed")
	}
}

// TestTokenNeverLogged: through retries, a restart and a refusal, the
// page's token reaches neither the log nor an event.
func TestTokenNeverLogged(t *testing.T) {
	u := startUploadServer(t)
	dir := t.TempDir()
	statuses := []int{503, 500, 429, 401}
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	u.status = func(*http.Request) int {
		<-mu
		defer func() { mu <- struct{}{} }()
		st := statuses[0]
		if len(statuses) > 1 {
			statuses = statuses[1:]
		}
		return st
	}
	s, evs, buf := mustSpool(t, dir, u)
	if err := s.Begin(manifestFor(u, "tok")); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("tok", 1, []byte("x")); err != nil {
		t.Fatal(err)
	}
	evs.await(t, EventRetry, 2)
	s.Close()
	// The token waits in the manifest: 0600.
	if info, err := os.Stat(filepath.Join(dir, folderName("tok"), manifestName)); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("manifest: %v %v", info, err)
	}
	s2, evs2, buf2 := mustSpool(t, dir, u)
	evs2.await(t, EventFailed, 1)
	s2.Close()
	u.down()
	m := manifestFor(u, "tok2")
	s3, evs3, buf3 := mustSpool(t, dir, u)
	if err := s3.Begin(m); err != nil {
		t.Fatal(err)
	}
	if err := s3.Add("tok2", 1, []byte("x")); err != nil {
		t.Fatal(err)
	}
	evs3.await(t, EventRetry, 1)
	secret := strings.TrimPrefix(testToken, "Bearer ")
	for name, text := range map[string]string{"log": buf.String() + buf2.String() + buf3.String(),
		"events": fmt.Sprintf("%+v %+v %+v", evs.all(), evs2.all(), evs3.all())} {
		if strings.Contains(text, secret) || strings.Contains(text, "sig=abc") {
			t.Errorf("the %s names the token or the URL's signature:\n%s", name, text)
		}
		if !strings.Contains(text, "retry") && name == "log" {
			t.Errorf("the log says nothing of the retries:\n%s", text)
		}
	}
}
