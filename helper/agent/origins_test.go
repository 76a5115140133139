package agent

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/policy"
)

const (
	originA = "https://agent.example.test"
	originB = "https://crm.cc.example.test"
)

// page opens a session as the extension relays a page of origin.
func (e *env) page(t *testing.T, origin string) *client.Client {
	t.Helper()
	c := e.dial(t)
	identify(t, c, ourExt)
	if err := call(t, c, "helper.hello", map[string]any{"client": "page-" + origin, "pageOrigin": origin}, nil); err != nil {
		t.Fatalf("hello from %s: %v", origin, err)
	}
	return c
}

// extensionPage opens a session as the extension's own privileged pages
// (the popup) do.
func (e *env) extensionPage(t *testing.T) *client.Client {
	t.Helper()
	c := e.dial(t)
	identify(t, c, ourExt)
	if err := call(t, c, "helper.hello", map[string]any{"client": "popup"}, nil); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAdminDomainsLockTheList: an admin policy that lists domains and says
// nothing of usersCanManageDomains lets nobody add one: a lookalike page is
// refused without canAsk (the popup offers nothing), and policy.allow from
// the extension's popup is admin-locked. An admin policy without domains
// leaves the list to the user.
func TestAdminDomainsLockTheList(t *testing.T) {
	e := startAgent(t)
	const lookalike = "https://agent.examp1e.test"
	os.WriteFile(e.store.AdminFile, []byte(`{"domains":["agent.example.test"]}`), 0o600)

	refusedHello := func(origin string) *jsonrpc.Error {
		t.Helper()
		c := e.dial(t)
		identify(t, c, ourExt)
		err := call(t, c, "helper.hello", map[string]any{"pageOrigin": origin}, nil)
		wantCode(t, "hello from "+origin, err, jsonrpc.CodeNotAllowed)
		return err
	}
	if d := dataOf(refusedHello(lookalike)); d["reason"] != jsonrpc.ReasonOriginNotAllowed || d["canAsk"] != false {
		t.Fatalf("lookalike under an admin list: %v, want origin-not-allowed, canAsk false", d)
	}
	ext := e.extensionPage(t)
	err := call(t, ext, "policy.allow", map[string]any{"domain": "agent.examp1e.test"}, nil)
	wantCode(t, "policy.allow", err, jsonrpc.CodeNotAllowed)
	if dataOf(err)["reason"] != jsonrpc.ReasonAdminLocked {
		t.Fatalf("policy.allow under an admin list: %v, want admin-locked", dataOf(err))
	}
	var list policyListResult
	if err := call(t, ext, "policy.list", nil, &list); err != nil {
		t.Fatal(err)
	}
	if list.UsersCanManageDomains || slices.Contains(list.Domains, "agent.examp1e.test") {
		t.Fatalf("policy.list after the refused allow: %+v", list)
	}
	if b, _ := os.ReadFile(e.store.UserFile); strings.Contains(string(b), "examp1e") {
		t.Fatalf("the user's file took the lookalike: %s", b)
	}
	refusedHello(lookalike)
	e.page(t, originA) // the admin's own domain still gets in

	// No domains in the admin policy: the user manages the list.
	os.WriteFile(e.store.AdminFile, []byte(`{"extensions":["`+policy.ChromiumExtensionID+`"]}`), 0o600)
	if d := dataOf(refusedHello("https://home.example.test")); d["canAsk"] != true {
		t.Fatalf("new domain without an admin list: %v, want canAsk true", d)
	}
	if err := call(t, ext, "policy.allow", map[string]any{"domain": "home.example.test"}, nil); err != nil {
		t.Fatalf("policy.allow without an admin list: %v", err)
	}
	e.page(t, "https://home.example.test")
}

// TestStatusHidesOtherOrigins: helper.status as a page sees it names the
// sessions of its own origin only; the user's own clients see everyone.
func TestStatusHidesOtherOrigins(t *testing.T) {
	e := startAgent(t)
	a := e.page(t, originA)
	b := e.page(t, originB)
	local := e.dial(t)
	if err := call(t, local, "helper.hello", map[string]any{"client": "cli"}, nil); err != nil {
		t.Fatal(err)
	}
	statusOf := func(c *client.Client) (statusResult, string) {
		t.Helper()
		var raw json.RawMessage
		if err := call(t, c, "helper.status", nil, &raw); err != nil {
			t.Fatal(err)
		}
		var st statusResult
		json.Unmarshal(raw, &st)
		return st, string(raw)
	}
	st, raw := statusOf(b)
	if len(st.Clients) != 3 {
		t.Fatalf("page B sees %d clients, want 3 (itself in full, the others by kind): %s", len(st.Clients), raw)
	}
	if strings.Contains(raw, originA) || strings.Contains(raw, `"cli"`) {
		t.Errorf("page B's helper.status names another origin's or the user's session: %s", raw)
	}
	if !slices.ContainsFunc(st.Clients, func(c clientInfo) bool { return c.PageOrigin == originB && c.Client == "page-"+originB }) {
		t.Errorf("page B's helper.status lacks its own session: %s", raw)
	}
	if _, raw := statusOf(a); strings.Contains(raw, originB) {
		t.Errorf("page A's helper.status names origin B: %s", raw)
	}
	if st, raw := statusOf(local); !strings.Contains(raw, originA) || !strings.Contains(raw, originB) || len(st.Clients) != 3 {
		t.Errorf("the local client's helper.status: %s", raw)
	}
}

// emitter is a service whose method publishes an event for its caller's
// origin, as the phone does for its owner.
type emitter struct{ srv *Server }

func (*emitter) Name() string           { return "emitter" }
func (*emitter) Capabilities() []string { return nil }
func (*emitter) Status() any            { return nil }
func (em *emitter) Methods() map[string]Method {
	return map[string]Method{"emitter.emit": func(_ context.Context, c *Call) (any, *jsonrpc.Error) {
		em.srv.BroadcastTo(ToOrigin(c.PageOrigin), "emitter.event", map[string]string{"secret": "for " + c.PageOrigin})
		em.srv.Broadcast("emitter.all", nil)
		return true, nil
	}}
}

// TestEventAudience: an event for an origin reaches that origin's pages
// and the user's own clients, and no other page; one for everyone reaches
// all.
func TestEventAudience(t *testing.T) {
	e := startAgent(t)
	if err := e.srv.Register(&emitter{e.srv}); err != nil {
		t.Fatal(err)
	}
	a1, a2 := e.page(t, originA), e.page(t, originA)
	b := e.page(t, originB)
	ext := e.extensionPage(t)
	if err := call(t, a1, "emitter.emit", nil, nil); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*client.Client{"page A": a1, "second page A": a2, "extension": ext} {
		if p := waitEvent(t, c, "emitter.event"); !strings.Contains(string(p), originA) {
			t.Errorf("%s: emitter.event %s", name, p)
		}
	}
	// B hears the event for everyone, and nothing before it: the
	// agent sends a session's events in order.
	timeout := time.After(5 * time.Second)
	for heard := false; !heard; {
		select {
		case ev := <-b.Events():
			if ev.Method == "emitter.event" {
				t.Fatalf("page B got origin A's event: %s", ev.Params)
			}
			heard = ev.Method == "emitter.all"
		case <-timeout:
			t.Fatal("page B: no emitter.all within 5 s")
		}
	}
}

func TestAudienceAdmits(t *testing.T) {
	page := func(origin string) *Call { return &Call{Kind: kindPage, PageOrigin: origin} }
	local, ext := &Call{Kind: kindLocal}, &Call{Kind: kindExtension}
	for _, tt := range []struct {
		name string
		aud  Audience
		c    *Call
		want bool
	}{
		{"everyone: a page", Everyone(), page(originB), true},
		{"origin A: its page", ToOrigin(originA), page(originA), true},
		{"origin A: another origin's page", ToOrigin(originA), page(originB), false},
		{"origin A: the same host on another port", ToOrigin(originA), page(originA + ":8443"), false},
		{"origin A: the CLI", ToOrigin(originA), local, true},
		{"origin A: the popup", ToOrigin(originA), ext, true},
		{"the user only: a page", ToOrigin(""), page(originA), false},
		{"the user only: a page without origin", ToOrigin(""), page(""), false},
		{"the zero audience: the CLI", Audience{}, local, true},
	} {
		if got := tt.aud.Admits(tt.c); got != tt.want {
			t.Errorf("%s: Admits = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// oneSession is a service whose method sends an event to its caller's
// session only, as the desktop API sends a request to its page, and
// reports what SendToSession said for it and for a session that is not.
type oneSession struct{ srv *Server }

func (*oneSession) Name() string           { return "one" }
func (*oneSession) Capabilities() []string { return nil }
func (*oneSession) Status() any            { return nil }
func (o *oneSession) Methods() map[string]Method {
	return map[string]Method{"one.send": func(_ context.Context, c *Call) (any, *jsonrpc.Error) {
		sent := o.srv.SendToSession(c.SessionID, "one.event", map[string]string{"for": c.SessionID})
		unknown := o.srv.SendToSession("no-such-session", "one.event", nil)
		o.srv.Broadcast("one.after", nil)
		return map[string]bool{"sent": sent, "unknown": unknown}, nil
	}}
}

// TestSendToSessionReachesThatSessionOnly: an event for one page's session
// reaches it and neither the user's own clients (who hear every audience)
// nor another page of its origin; a session that is not there reports so.
func TestSendToSessionReachesThatSessionOnly(t *testing.T) {
	e := startAgent(t)
	if err := e.srv.Register(&oneSession{e.srv}); err != nil {
		t.Fatal(err)
	}
	a1, a2 := e.page(t, originA), e.page(t, originA)
	ext := e.extensionPage(t)
	var got map[string]bool
	if err := call(t, a1, "one.send", nil, &got); err != nil {
		t.Fatal(err)
	}
	if !got["sent"] || got["unknown"] {
		t.Errorf("SendToSession reported %v, want sent to the caller and not to an unknown session", got)
	}
	waitEvent(t, a1, "one.event")
	for name, c := range map[string]*client.Client{"second page A": a2, "extension": ext} {
		timeout := time.After(5 * time.Second)
		for heard := false; !heard; {
			select {
			case ev := <-c.Events():
				if ev.Method == "one.event" {
					t.Fatalf("%s got another session's event: %s", name, ev.Params)
				}
				heard = ev.Method == "one.after"
			case <-timeout:
				t.Fatalf("%s: no one.after within 5 s", name)
			}
		}
	}
}
