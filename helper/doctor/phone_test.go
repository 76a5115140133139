package doctor_test

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/helper/phoneapi"
	"github.com/openbpclient/bpclient/helper/support"
	"github.com/openbpclient/bpclient/internal/siptest"
)

// TestPhoneCheckClassifiesRealFailures creates each registration failure
// for real with Kamailio and reads the phone check the way the agent's
// helper.doctor does (from the support history): its status, the
// failure named, and the fix.
func TestPhoneCheckClassifiesRealFailures(t *testing.T) {
	ca := siptest.NewCA(t, "doctor test CA")
	cert := ca.Loopback(t)
	expired := ca.Issue(t, siptest.CertOptions{IPs: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	otherName := ca.Issue(t, siptest.CertOptions{DNSNames: []string{"pbx.other.example"}})
	secure := func(cert *siptest.ServerCert, withCA bool) func(t *testing.T) (map[string]any, func()) {
		return func(t *testing.T) (map[string]any, func()) {
			k := siptest.StartKamailio(t, siptest.KamailioOptions{TLS: cert})
			p := account(k.TLSAddr(), "tls", "secret1")
			p["mode"] = "secure"
			if withCA {
				p["caPem"] = ca.PEM
			}
			return p, nil
		}
	}
	for _, tc := range []struct {
		name string
		// setUp starts the server and returns the phone.configure params;
		// after, when set, runs once the phone registered.
		setUp  func(t *testing.T) (map[string]any, func())
		status doctor.Status
		found  string
	}{
		{"registered", func(t *testing.T) (map[string]any, func()) {
			k := siptest.StartKamailio(t, siptest.KamailioOptions{})
			return account(k.Addr(), "udp", "secret1"), nil
		}, doctor.OK, "registered at 127.0.0.1:"},
		{"wrong password", func(t *testing.T) (map[string]any, func()) {
			k := siptest.StartKamailio(t, siptest.KamailioOptions{})
			return account(k.Addr(), "udp", "not-the-password"), nil
		}, doctor.Failed, doctor.FailureCredentials},
		{"unknown CA", secure(&cert, false), doctor.Failed, doctor.FailureTLSUntrusted},
		{"expired certificate", secure(&expired, true), doctor.Failed, doctor.FailureTLSExpired},
		{"certificate of another name", secure(&otherName, true), doctor.Failed, doctor.FailureTLSWrongName},
		{"server stopped, tcp", func(t *testing.T) (map[string]any, func()) {
			k := siptest.StartKamailio(t, siptest.KamailioOptions{})
			k.Stop()
			return account(k.Addr(), "tcp", "secret1"), nil
		}, doctor.Failed, doctor.FailureUnreachable},
		{"server stopped, udp", func(t *testing.T) (map[string]any, func()) {
			k := siptest.StartKamailio(t, siptest.KamailioOptions{})
			k.Stop()
			return account(k.Addr(), "udp", "secret1"), nil
		}, doctor.Failed, doctor.FailureTimeout},
		{"keep-alive lost", func(t *testing.T) (map[string]any, func()) {
			k := siptest.StartKamailio(t, siptest.KamailioOptions{})
			p := account(k.Addr(), "tcp", "secret1")
			p["keepAliveMs"] = 300
			return p, k.Stop
		}, doctor.Failed, doctor.FailureKeepAliveLost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			params, after := tc.setUp(t)
			h := support.NewHistory(nil)
			svc := phoneapi.New(phoneapi.Options{Logger: zerolog.Nop(), Events: support.Recorder{Next: nopBroadcaster{}, History: h}})
			t.Cleanup(svc.Close)
			call(t, svc, "phone.configure", params)
			call(t, svc, "phone.register", nil)
			if after != nil {
				waitRegistration(t, h, "registered")
				after()
			}
			waitRegistration(t, h, map[doctor.Status]string{doctor.OK: "registered", doctor.Failed: "failed|lost"}[tc.status])
			rep := doctor.New(nil, doctor.PhoneCheck(h.PhoneProbe)).Run(context.Background(), doctor.View{Local: true})
			r, ok := rep.Find("phone.registration")
			if !ok || r.Status != tc.status || !strings.Contains(r.Found, tc.found) {
				t.Fatalf("check %+v, want %s with %q", r, tc.status, tc.found)
			}
			if (r.Fix == "") != (tc.status == doctor.OK) {
				t.Errorf("fix %q for status %s", r.Fix, r.Status)
			}
			if page := doctor.New(nil, doctor.PhoneCheck(h.PhoneProbe)).Run(context.Background(), doctor.View{Origin: "https://a.example"}); len(page.Checks) != 0 {
				t.Errorf("a page is told of the phone: %+v", page.Checks)
			}
		})
	}
}

func account(server, transport, password string) map[string]any {
	return map[string]any{"server": server, "transport": transport, "domain": "127.0.0.1", "username": "1001", "password": password}
}

// waitRegistration waits until the history's last registration state is
// one of states ("a|b").
func waitRegistration(t *testing.T, h *support.History, states string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if s := h.Snapshot().Registration; len(s) > 0 {
			for _, want := range strings.Split(states, "|") {
				if s[len(s)-1].State == want {
					return
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("registration never %s: %+v", states, h.Snapshot().Registration)
}

func call(t *testing.T, svc *phoneapi.Service, method string, params any) {
	t.Helper()
	raw, _ := json.Marshal(params)
	if _, jerr := svc.Methods()[method](context.Background(), &agent.Call{Params: raw, Kind: "local", SessionID: "s1"}); jerr != nil {
		t.Fatalf("%s: %v", method, jerr)
	}
}

type nopBroadcaster struct{}

func (nopBroadcaster) Broadcast(string, any)                   {}
func (nopBroadcaster) BroadcastTo(agent.Audience, string, any) {}

// TestClassifyRegistrationReasons: the reasons a real failure cannot be
// made for in a test (a name the resolver does not find fails
// phone.configure before any registration) are still named.
func TestClassifyRegistrationReasons(t *testing.T) {
	for reason, want := range map[string]string{
		"no answer from pbx.example.invalid:5060 (lookup pbx.example.invalid: no such host)": doctor.FailureNameNotResolved,
		"the server refused the account (403 Forbidden)":                                     doctor.FailureCredentials,
		"the server answered 500 Server Internal Error":                                      doctor.FailureOther,
	} {
		if got := doctor.ClassifyRegistration(doctor.RegistrationEvent{State: "failed", Reason: reason}); got != want {
			t.Errorf("%q: %q, want %q", reason, got, want)
		}
	}
}
