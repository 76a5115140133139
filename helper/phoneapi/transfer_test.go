package phoneapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/phoneapi"
	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// autoAnswerPhone is a bpclient phone registered as user that answers
// every call.
func autoAnswerPhone(t *testing.T, k *siptest.Kamailio, user siptest.User) *sip.Phone {
	t.Helper()
	var p *sip.Phone
	answer := func(name string, params any) {
		if in, ok := params.(sip.IncomingCall); ok {
			go func() {
				if c, err := p.Call(in.CallID); err == nil {
					_ = c.Answer(context.Background())
				}
			}()
		}
	}
	p, err := sip.New(sip.Config{Server: k.Addr(), Domain: "127.0.0.1", Username: user.Name, Password: user.Password,
		Codecs: []string{"PCMU"}}, sip.WithEvents(answer))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Close(ctx)
	})
	if err := p.Register(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); p.Registration().State != sip.Registered; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not register: %+v", user.Name, p.Registration())
		}
	}
	return p
}

// TestAttendedTransferThroughTheAPI: the page calls 1002, holds it, calls
// 1003 and sends call.transfer {"callId", "targetCallId"}; both of its
// calls end as transferred and 1002 ends up in a call with 1003 that says
// where it came from.
func TestAttendedTransferThroughTheAPI(t *testing.T) {
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	b := autoAnswerPhone(t, k, siptest.DefaultUsers[1])
	c := autoAnswerPhone(t, k, siptest.DefaultUsers[2])
	ev := &recorder{ch: make(chan string, 1024)}
	svc := phoneapi.New(phoneapi.Options{Logger: zerolog.Nop(), Events: ev})
	t.Cleanup(svc.Close)
	mustInvoke(t, svc, "phone.configure", map[string]any{"server": k.Addr(), "domain": "127.0.0.1", "username": "1001",
		"password": "secret1", "codecs": []string{"PCMU"}})
	mustInvoke(t, svc, "phone.register", nil)
	ev.wait(t, `"state":"registered"`, 10*time.Second)

	dialConnected := func(to string) string {
		id := dial(t, svc, to)
		ev.wait(t, `"callId":"`+id+`","direction":"outbound","state":"connected"`, 10*time.Second)
		return id
	}
	first := dialConnected("1002")
	mustInvoke(t, svc, "call.hold", map[string]string{"callId": first})
	second := dialConnected("1003")
	mustInvoke(t, svc, "call.transfer", map[string]string{"callId": first, "targetCallId": second})
	// The two calls end in either order.
	for _, want := range []string{
		`"callId":"` + first + `","direction":"outbound","state":"ended","reason":"transferred to sip:1003@127.0.0.1"`,
		`"callId":"` + second + `","direction":"outbound","state":"ended","reason":"transferred to sip:1002@127.0.0.1"`,
	} {
		if !ev.seen(want, 10*time.Second) {
			t.Errorf("no event with %s", want)
		}
	}

	var bCalls []sip.CallState
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if bCalls = b.Calls(); len(bCalls) == 1 && bCalls[0].State == sip.StateConnected && bCalls[0].TransferredFrom != "" {
			break
		}
	}
	if len(bCalls) != 1 || bCalls[0].TransferredFrom == "" || !strings.Contains(bCalls[0].Remote, "1003") {
		t.Errorf("1002's calls after the transfer: %+v", bCalls)
	}
	var cCalls []sip.CallState
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cCalls = c.Calls(); len(cCalls) == 1 {
			break
		}
	}
	if len(cCalls) != 1 || cCalls[0].Replaces == "" || cCalls[0].State != sip.StateConnected {
		t.Errorf("1003's calls after the transfer: %+v", cCalls)
	}
	st := mustInvoke(t, svc, "phone.status", nil)
	if !strings.Contains(string(st), `"calls":[]`) {
		t.Errorf("the page's phone still has calls: %s", st)
	}
}

// seen reports whether any event so far, or within d, contains substr
// (without consuming the channel's order).
func (r *recorder) seen(substr string, d time.Duration) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		r.mu.Lock()
		for _, e := range r.events {
			if strings.Contains(e, substr) {
				r.mu.Unlock()
				return true
			}
		}
		r.mu.Unlock()
		if time.Now().After(deadline) {
			return false
		}
	}
}
