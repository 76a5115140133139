package sip_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// events records what a phone emits.
type events struct {
	mu  sync.Mutex
	all []event
	ch  chan event
}

type event struct {
	name   string
	params any
}

func newEvents() *events { return &events{ch: make(chan event, 256)} }

func (e *events) fn(name string, params any) {
	e.mu.Lock()
	e.all = append(e.all, event{name, params})
	e.mu.Unlock()
	select {
	case e.ch <- event{name, params}:
	default:
	}
}

// waitReg waits for a registration.state with the given state, up to
// the hang guard.
func (e *events) waitReg(t *testing.T, state string) sip.RegistrationState {
	t.Helper()
	deadline := time.After(sip.HangGuard)
	for {
		select {
		case ev := <-e.ch:
			if rs, ok := ev.params.(sip.RegistrationState); ok && rs.State == state {
				return rs
			}
		case <-deadline:
			t.Fatalf("hang guard (%v): no registration.state %q; saw %v", sip.HangGuard, state, e.regStates())
		}
	}
}

func (e *events) regStates() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.all {
		if rs, ok := ev.params.(sip.RegistrationState); ok {
			out = append(out, rs.State+":"+rs.Reason)
		}
	}
	return out
}

func startPhone(t *testing.T, cfg sip.Config, opts ...sip.Option) (*sip.Phone, *events) {
	t.Helper()
	ev := newEvents()
	opts = append([]sip.Option{sip.WithEvents(ev.fn)}, opts...)
	p, err := sip.New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.Close(ctx)
	})
	return p, ev
}

func TestRegisterMD5AndSHA256(t *testing.T) {
	for _, algo := range []string{"MD5", "SHA-256"} {
		for _, transport := range []string{"udp", "tcp"} {
			t.Run(algo+"/"+transport, func(t *testing.T) {
				t.Parallel()
				k := siptest.StartKamailio(t, siptest.KamailioOptions{Algorithm: algo})
				p, ev := startPhone(t, sip.Config{Server: k.Addr(), Transport: transport, Domain: "127.0.0.1",
					Username: "1001", Password: "secret1", Expires: 60})
				if err := p.Register(); err != nil {
					t.Fatal(err)
				}
				rs := ev.waitReg(t, sip.Registered)
				if rs.Expires != 60 {
					t.Errorf("expires %d, want 60", rs.Expires)
				}
				if !strings.Contains(k.Log(), algo) && algo == "SHA-256" {
					t.Logf("kamailio log does not name the algorithm")
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := p.Unregister(ctx); err != nil {
					t.Fatal(err)
				}
				ev.waitReg(t, sip.Unregistered)
			})
		}
	}
}

func TestRegisterWrongPassword(t *testing.T) {
	t.Parallel()
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	p, ev := startPhone(t, sip.Config{Server: k.Addr(), Domain: "127.0.0.1",
		Username: "1001", Password: "not-the-password", RetryMin: 100 * time.Millisecond, RetryMax: 200 * time.Millisecond})
	if err := p.Register(); err != nil {
		t.Fatal(err)
	}
	rs := ev.waitReg(t, sip.Failed)
	if !strings.Contains(rs.Reason, "wrong username or password") {
		t.Errorf("reason %q does not say the password is wrong", rs.Reason)
	}
	// No retry storm: nothing more is sent after the failure. (Kamailio's
	// log reaches us through a pipe: let it catch up first.)
	time.Sleep(300 * time.Millisecond)
	before := k.Count("REQ REGISTER")
	time.Sleep(1500 * time.Millisecond)
	after := k.Count("REQ REGISTER")
	if before > 2 || after != before {
		t.Errorf("REGISTERs: %d at failure, %d 1.5 s later; want at most 2 and no more", before, after)
	}
}

func TestRegisterLostAndBack(t *testing.T) {
	t.Parallel()
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	p, ev := startPhone(t, sip.Config{Server: k.Addr(), Domain: "127.0.0.1", Username: "1002", Password: "secret2",
		KeepAlive: 300 * time.Millisecond, RequestTimeout: 500 * time.Millisecond,
		RetryMin: 200 * time.Millisecond, RetryMax: 500 * time.Millisecond})
	if err := p.Register(); err != nil {
		t.Fatal(err)
	}
	ev.waitReg(t, sip.Registered)
	k.Stop()
	rs := ev.waitReg(t, sip.Lost)
	if !strings.Contains(rs.Reason, "lost its connection") {
		t.Errorf("lost reason %q", rs.Reason)
	}
	time.Sleep(time.Second)
	k.Start()
	ev.waitReg(t, sip.Registered)
	// Kamailio keeps no state across the restart: only a fresh REGISTER
	// could have put us back.
	if n := k.Count("REQ REGISTER", "1002"); n < 3 {
		t.Errorf("only %d REGISTERs seen", n)
	}
}

// registerBoth registers two phones and waits until both are registered.
func registerBoth(t *testing.T, a *sip.Phone, aEv *events, b *sip.Phone, bEv *events) {
	t.Helper()
	for _, p := range []struct {
		phone *sip.Phone
		ev    *events
	}{{a, aEv}, {b, bEv}} {
		if err := p.phone.Register(); err != nil {
			t.Fatal(err)
		}
		p.ev.waitReg(t, sip.Registered)
	}
}

// dialAndAnswer has caller dial to and the callee answer the call it is
// offered; it returns both sides' calls.
func dialAndAnswer(t *testing.T, ctx context.Context, caller, callee *sip.Phone, calleeEv *events, to string) (out, in *sip.Call) {
	t.Helper()
	out, err := caller.Dial(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	offered := calleeEv.waitEvent(t, sip.EventCallIncoming).(sip.IncomingCall)
	in, err = callee.Call(offered.CallID)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	return out, in
}
