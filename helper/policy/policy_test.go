package policy

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
)

func TestCheckOrigin(t *testing.T) {
	f, yes := false, true
	p, warns := Merge(&File{Domains: []string{"agent.example.com", "*.cc.example", "bad domain"}, UsersCanManageDomains: &yes},
		&File{Domains: []string{"mine.test"}})
	if len(warns) != 1 {
		t.Fatalf("warnings = %v, want one for the bad entry", warns)
	}
	tests := []struct {
		origin string
		reason string // "" admitted
		canAsk bool
	}{
		{"https://agent.example.com", "", false},
		{"https://AGENT.example.com:8443", "", false},
		{"https://agent.example.com.", "", false},
		{"https://a.cc.example", "", false},
		{"https://b.a.cc.example", "", false},
		{"https://cc.example", jsonrpc.ReasonOriginNotAllowed, true},
		{"https://evilcc.example", jsonrpc.ReasonOriginNotAllowed, true},
		{"https://mine.test", "", false},
		{"http://agent.example.com", jsonrpc.ReasonOriginNotHTTPS, false},
		{"https://agent.example.com.evil.org", jsonrpc.ReasonOriginNotAllowed, true},
		{"https://user@agent.example.com", jsonrpc.ReasonOriginInvalid, false},
		{"https://agent.example.com/path", jsonrpc.ReasonOriginInvalid, false},
		{"agent.example.com", jsonrpc.ReasonOriginInvalid, false},
		{"", jsonrpc.ReasonOriginInvalid, false},
		{"chrome-extension://abc/", jsonrpc.ReasonOriginNotHTTPS, false},
	}
	for _, tt := range tests {
		r := p.CheckOrigin(tt.origin)
		switch {
		case tt.reason == "" && r != nil:
			t.Errorf("%s refused: %v", tt.origin, r)
		case tt.reason != "" && (r == nil || r.Reason != tt.reason || r.CanAsk != tt.canAsk):
			t.Errorf("%s: got %+v, want %s canAsk=%v", tt.origin, r, tt.reason, tt.canAsk)
		}
	}
	// An admin who locks the list: user domains stop counting, nobody may ask.
	locked, _ := Merge(&File{Domains: []string{"agent.example.com"}, UsersCanManageDomains: &f}, &File{Domains: []string{"mine.test"}})
	if r := locked.CheckOrigin("https://mine.test"); r == nil || r.CanAsk {
		t.Errorf("locked policy: %+v, want refusal without canAsk", r)
	}
}

// TestUsersCanManageDomainsDefault: an admin policy that lists domains
// locks the list unless it says otherwise, so that one click in the popup
// cannot add a lookalike of the Agent Desktop; one that lists none (a home
// install) leaves the list to the user.
func TestUsersCanManageDomainsDefault(t *testing.T) {
	yes, no := true, false
	user := &File{Domains: []string{"agent.examp1e.com"}}
	for _, tt := range []struct {
		name  string
		admin *File
		want  bool
	}{
		{"no admin policy", &File{}, true},
		{"admin lists no domains", &File{Domains: []string{}, Extensions: []string{ChromiumExtensionID}}, true},
		{"admin lists domains", &File{Domains: []string{"agent.example.com"}}, false},
		{"admin lists only a bad entry", &File{Domains: []string{"bad domain"}}, false},
		{"admin lists domains and lets users add", &File{Domains: []string{"agent.example.com"}, UsersCanManageDomains: &yes}, true},
		{"admin lists none and locks", &File{UsersCanManageDomains: &no}, false},
	} {
		p, _ := Merge(tt.admin, user)
		if p.UsersCanManageDomains != tt.want {
			t.Errorf("%s: usersCanManageDomains = %v, want %v", tt.name, p.UsersCanManageDomains, tt.want)
		}
		r := p.CheckOrigin("https://agent.examp1e.com")
		switch {
		case tt.want && r != nil:
			t.Errorf("%s: the user's domain is refused: %+v", tt.name, r)
		case !tt.want && (r == nil || r.Reason != jsonrpc.ReasonOriginNotAllowed || r.CanAsk):
			t.Errorf("%s: the user's lookalike: %+v, want origin-not-allowed without canAsk", tt.name, r)
		}
	}
}

func TestCheckExtension(t *testing.T) {
	p, _ := Merge(&File{}, &File{Extensions: []string{"evil"}})
	for _, ok := range []string{"chrome-extension://" + ChromiumExtensionID + "/", ChromiumExtensionID, FirefoxExtensionID} {
		if r := p.CheckExtension(ok); r != nil {
			t.Errorf("%s refused", ok)
		}
	}
	for _, bad := range []string{"chrome-extension://globmenbfjbjogcaljnhjmdhogoajckd/", "evil", "", "chrome-extension:///"} {
		if r := p.CheckExtension(bad); r == nil || r.Reason != jsonrpc.ReasonExtensionNotAllowed {
			t.Errorf("%q admitted", bad)
		}
	}
	admin, _ := Merge(&File{Extensions: []string{"other"}}, &File{})
	if admin.CheckExtension(ChromiumExtensionID) == nil || admin.CheckExtension("other") != nil {
		t.Error("admin extension list does not replace the default")
	}
}

func TestNormalizeDomain(t *testing.T) {
	good := map[string]string{
		"Agent.Example.COM.":          "agent.example.com",
		"*.example.com":               "*.example.com",
		"https://agent.example.com:9": "agent.example.com",
		"127.0.0.1":                   "127.0.0.1",
		"localhost":                   "localhost",
	}
	for in, want := range good {
		if got, err := NormalizeDomain(in); err != nil || got != want {
			t.Errorf("NormalizeDomain(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "*.", "*.com", "a..b", "a b.com", "*.127.0.0.1", "ex_ample.com", "*"} {
		if got, err := NormalizeDomain(bad); err == nil {
			t.Errorf("NormalizeDomain(%q) = %q, want error", bad, got)
		}
	}
}

func TestStore(t *testing.T) {
	dir := t.TempDir()
	s := &Store{AdminFile: filepath.Join(dir, "admin.json"), UserFile: filepath.Join(dir, "user", "policy.json")}
	p, _, err := s.Load()
	if err != nil || len(p.Domains()) != 0 {
		t.Fatalf("empty store: %v %v", p, err)
	}
	if _, err := s.Allow("Agent.Example.com"); err != nil {
		t.Fatal(err)
	}
	if p, _ = s.Allow("agent.example.com"); !slices.Equal(p.UserDomains, []string{"agent.example.com"}) {
		t.Fatalf("after allow twice: %v", p.UserDomains)
	}
	if _, err := s.Allow("not a domain"); err == nil {
		t.Fatal("allowed a bad domain")
	}
	if p, _ = s.Remove("agent.example.com"); len(p.UserDomains) != 0 {
		t.Fatalf("after remove: %v", p.UserDomains)
	}
	os.WriteFile(s.AdminFile, []byte(`{"domains":["x.example"],"usersCanManageDomains":false}`), 0o644)
	if _, err := s.Allow("y.example"); !errors.Is(err, ErrAdminLocked) {
		t.Fatalf("allow under a locked admin policy: %v", err)
	}
	// Listing domains locks the list by itself.
	os.WriteFile(s.AdminFile, []byte(`{"domains":["x.example"]}`), 0o644)
	if _, err := s.Allow("x.examp1e"); !errors.Is(err, ErrAdminLocked) {
		t.Fatalf("allow under an admin policy that lists domains: %v", err)
	}
	os.WriteFile(s.AdminFile, []byte(`{"extensions":["`+ChromiumExtensionID+`"]}`), 0o644)
	if _, err := s.Allow("y.example"); err != nil {
		t.Fatalf("allow under an admin policy without domains: %v", err)
	}
	os.WriteFile(s.AdminFile, []byte(`{not json`), 0o644)
	if _, _, err := s.Load(); err == nil {
		t.Fatal("a broken admin file was accepted")
	}
}

// TestMergeCA: the admin policy's CA is the policy's; the user's file
// cannot add one.
func TestMergeCA(t *testing.T) {
	p, _ := Merge(&File{CAFile: "/etc/bpclient/ca.pem", CAPEM: "pem"}, &File{CAFile: "/tmp/mine.pem", CAPEM: "mine"})
	if p.CAFile != "/etc/bpclient/ca.pem" || p.CAPEM != "pem" {
		t.Fatalf("admin CA: %q %q", p.CAFile, p.CAPEM)
	}
	p, _ = Merge(&File{}, &File{CAFile: "/tmp/mine.pem", CAPEM: "mine"})
	if p.CAFile != "" || p.CAPEM != "" {
		t.Fatalf("a user's CA was taken: %q %q", p.CAFile, p.CAPEM)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.json")
	os.WriteFile(path, []byte(`{"domains":[],"caFile":"/etc/bpclient/ca.pem","caPem":"-----BEGIN CERTIFICATE-----"}`), 0o644)
	f, err := ReadFile(path)
	if err != nil || f.CAFile != "/etc/bpclient/ca.pem" || f.CAPEM != "-----BEGIN CERTIFICATE-----" {
		t.Fatalf("read: %+v %v", f, err)
	}
}

// TestAllowRemoteTransfer: only the admin policy lets the softphone follow
// a far end's transfer at once; the user's file cannot, and the user's
// own edits never write it.
func TestAllowRemoteTransfer(t *testing.T) {
	dir := t.TempDir()
	s := &Store{AdminFile: filepath.Join(dir, "admin.json"), UserFile: filepath.Join(dir, "user.json")}
	os.WriteFile(s.UserFile, []byte(`{"domains":[],"allowRemoteTransfer":true}`), 0o600)
	if p, _, err := s.Load(); err != nil || p.AllowRemoteTransfer {
		t.Fatalf("the user's file turned it on: %+v %v", p, err)
	}
	if _, err := s.Allow("agent.example.com"); err != nil {
		t.Fatal(err)
	}
	if f, err := ReadFile(s.UserFile); err != nil || f.AllowRemoteTransfer {
		t.Errorf("the user's file kept it after an edit: %+v %v", f, err)
	}
	os.WriteFile(s.AdminFile, []byte(`{"domains":[],"allowRemoteTransfer":true}`), 0o644)
	if p, _, err := s.Load(); err != nil || !p.AllowRemoteTransfer {
		t.Fatalf("the admin's file did not turn it on: %+v %v", p, err)
	}
}

// TestScreenRecordingIndicator: only the admin policy asks for the
// recording indicator; a user's file cannot turn it on (or keep it).
func TestScreenRecordingIndicator(t *testing.T) {
	dir := t.TempDir()
	s := &Store{AdminFile: filepath.Join(dir, "admin.json"), UserFile: filepath.Join(dir, "user.json")}
	os.WriteFile(s.UserFile, []byte(`{"domains":[],"screenRecordingIndicator":true}`), 0o600)
	if p, _, err := s.Load(); err != nil || p.ScreenRecordingIndicator {
		t.Fatalf("the user's file turned it on: %+v %v", p, err)
	}
	if _, err := s.Allow("agent.example.com"); err != nil {
		t.Fatal(err)
	}
	if f, err := ReadFile(s.UserFile); err != nil || f.ScreenRecordingIndicator {
		t.Errorf("the user's file kept it after an edit: %+v %v", f, err)
	}
	os.WriteFile(s.AdminFile, []byte(`{"domains":[],"screenRecordingIndicator":true}`), 0o644)
	if p, _, err := s.Load(); err != nil || !p.ScreenRecordingIndicator {
		t.Fatalf("the admin's file did not turn it on: %+v %v", p, err)
	}
}

// A Policy owns its extension list: changing one (or the admin file it
// came from) leaves every other policy and the defaults as they were.
func TestMergedExtensionsAreTheirOwn(t *testing.T) {
	first, _ := Merge(&File{}, &File{})
	first.Extensions[0] = "evil"
	second, _ := Merge(&File{}, &File{})
	if second.CheckExtension(ChromiumExtensionID) != nil || second.CheckExtension("evil") == nil {
		t.Errorf("one policy's change reached the next: %v", second.Extensions)
	}
	if got := DefaultExtensions(); got[0] != ChromiumExtensionID {
		t.Errorf("one policy's change reached the defaults: %v", got)
	}
	admin := &File{Extensions: []string{"other"}}
	p, _ := Merge(admin, &File{})
	p.Extensions[0] = "evil"
	if admin.Extensions[0] != "other" {
		t.Errorf("a policy's change reached the admin file it came from: %v", admin.Extensions)
	}
}

// The agent and the host (answering for an agent it did not start) refuse
// with the same words and data.
func TestRefusalAsRPCError(t *testing.T) {
	r := &Refusal{Reason: jsonrpc.ReasonOriginNotAllowed, CanAsk: true, Origin: "https://crm.example.test"}
	e := r.RPCError(r.Message())
	d, _ := e.Data.(map[string]any)
	if e.Code != jsonrpc.CodeNotAllowed || e.Message != "not allowed: crm.example.test is not on the list of allowed domains" ||
		d["reason"] != jsonrpc.ReasonOriginNotAllowed || d["canAsk"] != true || d["origin"] != "https://crm.example.test" {
		t.Errorf("refusal as an RPC error: %+v", e)
	}
	ext := &Refusal{Reason: jsonrpc.ReasonExtensionNotAllowed}
	if e := ext.RPCError(ext.Message()); e.Message != "not allowed: this extension is not allowed to use BPClient" {
		t.Errorf("extension refusal: %+v", e)
	} else if _, ok := e.Data.(map[string]any)["origin"]; ok {
		t.Errorf("extension refusal names an origin: %+v", e.Data)
	}
}
