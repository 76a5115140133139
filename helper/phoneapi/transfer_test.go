package phoneapi_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/phoneapi"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// autoAnswerPhone is a bpclient phone registered as user that answers
// every call and follows every transfer, as a desk phone would.
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
		Codecs: []string{"PCMU"}}, sip.WithEvents(answer), sip.WithFollowRemoteTransfers())
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

// hangGuard bounds the waits of the transfer tests: it only catches a
// hang.
const hangGuard = 30 * time.Second

// transferringPeer: the page's phone (1001) calls 1002, a bpclient phone
// that will transfer the call to 1003 (another one). svc's policy comes
// from admin and user files with these contents ("" none).
type transferringPeer struct {
	k        *siptest.Kamailio
	svc      *phoneapi.Service
	ev       *recorder
	from, to *sip.Phone
	callID   string // the page's call with 1002
}

func startTransferringPeer(t *testing.T, admin, user string, configure map[string]any) *transferringPeer {
	t.Helper()
	dir := t.TempDir()
	store := &policy.Store{AdminFile: filepath.Join(dir, "admin.json"), UserFile: filepath.Join(dir, "user.json")}
	for path, body := range map[string]string{store.AdminFile: admin, store.UserFile: user} {
		if body != "" {
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	tp := &transferringPeer{k: k, from: autoAnswerPhone(t, k, siptest.DefaultUsers[1]), to: autoAnswerPhone(t, k, siptest.DefaultUsers[2]),
		ev: &recorder{ch: make(chan string, 1024)}}
	tp.svc = phoneapi.New(phoneapi.Options{Logger: zerolog.Nop(), Events: tp.ev, Policy: store})
	t.Cleanup(tp.svc.Close)
	params := map[string]any{"server": k.Addr(), "domain": "127.0.0.1", "username": "1001", "password": "secret1", "codecs": []string{"PCMU"}}
	for name, v := range configure {
		params[name] = v
	}
	mustInvoke(t, tp.svc, "phone.configure", params)
	mustInvoke(t, tp.svc, "phone.register", nil)
	tp.ev.wait(t, `"state":"registered"`, hangGuard)
	tp.callID = dial(t, tp.svc, "1002")
	tp.ev.wait(t, `"callId":"`+tp.callID+`","direction":"outbound","state":"connected"`, hangGuard)
	return tp
}

// transfer makes 1002 transfer its call with the page to 1003 (REFER).
func (tp *transferringPeer) transfer(t *testing.T) *sip.Call {
	t.Helper()
	var calls []sip.CallState
	for deadline := time.Now().Add(hangGuard); len(calls) != 1 || calls[0].State != sip.StateConnected; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("hang guard (%v): 1002's calls: %+v", hangGuard, calls)
		}
		calls = tp.from.Calls()
	}
	c, err := tp.from.Call(calls[0].CallID)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	if err := c.Transfer(ctx, "1003"); err != nil {
		t.Fatal(err)
	}
	return c
}

// followed checks that the page's call went to 1003.
func (tp *transferringPeer) followed(t *testing.T) {
	t.Helper()
	for _, want := range []string{
		`"transferredFrom":"` + tp.callID + `"`,
		`"callId":"` + tp.callID + `","direction":"outbound","state":"ended","reason":"transferred to sip:1003@127.0.0.1"`,
	} {
		if !tp.ev.seen(want, hangGuard) {
			t.Errorf("no event with %s", want)
		}
	}
}

func (tp *transferringPeer) requests() int {
	tp.ev.mu.Lock()
	defer tp.ev.mu.Unlock()
	n := 0
	for _, e := range tp.ev.events {
		if strings.Contains(e, `"method":"call.transferRequested"`) {
			n++
		}
	}
	return n
}

func wantPhoneErr(t *testing.T, svc *phoneapi.Service, method string, params any, reason string) {
	t.Helper()
	_, jerr := invoke(t, svc, method, params)
	if jerr == nil || jerr.Code != jsonrpc.CodePhone || !strings.Contains(fmt.Sprint(jerr.Data), reason) {
		t.Errorf("%s %v: %v, want -32010 %s", method, params, jerr, reason)
	}
}

// TestRemoteTransferAskedThroughTheAPI: a REFER from the far end comes to
// the page as call.transferRequested, even when the user's policy file
// and the page's phone.configure say allowRemoteTransfer (only the
// admin's can). Rejected, 1002 is told 603 and the call stays; asked
// again and accepted, the call goes to 1003.
func TestRemoteTransferAskedThroughTheAPI(t *testing.T) {
	tp := startTransferringPeer(t, "", `{"domains":[],"allowRemoteTransfer":true}`, map[string]any{"allowRemoteTransfer": true})
	if !slices.Contains(tp.svc.Capabilities(), "transfer-consent") {
		t.Errorf("capabilities %v lack transfer-consent", tp.svc.Capabilities())
	}
	id := map[string]string{"callId": tp.callID}
	wantPhoneErr(t, tp.svc, "call.acceptTransfer", id, jsonrpc.ReasonWrongState)
	theirs := tp.transfer(t)
	req := tp.ev.wait(t, `"method":"call.transferRequested"`, hangGuard)
	want := `"params":{"callId":"` + tp.callID + `","target":"sip:1003@127.0.0.1","attended":false,"referredBy":"\u003csip:1002@127.0.0.1\u003e"}`
	if !strings.Contains(req, want) {
		t.Errorf("transfer request %s, want %s", req, want)
	}
	wantPhoneErr(t, tp.svc, "call.rejectTransfer", map[string]string{"callId": "nosuch"}, jsonrpc.ReasonNoSuchCall)
	mustInvoke(t, tp.svc, "call.rejectTransfer", id)
	wantPhoneErr(t, tp.svc, "call.rejectTransfer", id, jsonrpc.ReasonWrongState)
	tp.ev.wait(t, `"callId":"`+tp.callID+`","direction":"outbound","state":"connected","reason":"transfer to sip:1003@127.0.0.1 declined"`, hangGuard)
	for deadline := time.Now().Add(hangGuard); theirs.State().Reason != "transfer failed: 603 Decline"; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("hang guard (%v): 1002 not told 603: %+v", hangGuard, theirs.State())
		}
	}
	if n := tp.k.Count("REQ INVITE sip:1003@"); n != 0 {
		t.Errorf("kamailio saw %d INVITEs to 1003", n)
	}
	if st := mustInvoke(t, tp.svc, "phone.status", nil); strings.Contains(string(st), "transferredFrom") || !strings.Contains(string(st), `"state":"connected"`) {
		t.Errorf("after the refusal: %s", st)
	}

	tp.transfer(t)
	tp.ev.wait(t, `"method":"call.transferRequested"`, hangGuard)
	mustInvoke(t, tp.svc, "call.acceptTransfer", id)
	tp.followed(t)
}

// TestRemoteTransferAdminAllows: the admin policy's allowRemoteTransfer
// makes the phone follow a far end's REFER at once, unasked.
func TestRemoteTransferAdminAllows(t *testing.T) {
	tp := startTransferringPeer(t, `{"domains":[],"allowRemoteTransfer":true}`, "", nil)
	tp.transfer(t)
	tp.followed(t)
	if n := tp.requests(); n != 0 {
		t.Errorf("%d transfer requests, want none", n)
	}
}
