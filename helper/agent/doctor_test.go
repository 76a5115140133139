package agent

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/nativemsg"
	"github.com/openbpclient/bpclient/version"
)

// helper.doctor answers the same report to everyone, but only local
// clients see the files read: a page, even of an allowed origin, and the
// extension get no path of this user's home.
func TestDoctorViews(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{"HOME": home}
	roots := doctor.Roots{GOOS: "linux", Getenv: func(k string) string { return env[k] }}
	// Chromium is used here and its manifest is missing: a failed check
	// whose Where names a file in the home.
	if err := os.MkdirAll(filepath.Join(home, ".config", "chromium"), 0o700); err != nil {
		t.Fatal(err)
	}
	var origins []string
	seen := func(_ context.Context, v doctor.View) []doctor.Result {
		origins = append(origins, v.Origin)
		return nil
	}
	d := doctor.New(nil, doctor.ManifestChecks(roots, []nativemsg.Browser{nativemsg.Chromium}, nil), seen)
	e := startAgentOpts(t, Options{Doctor: d})

	local := e.dial(t)
	var hello helloResult
	if err := call(t, local, "helper.hello", map[string]any{"client": "cli"}, &hello); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(hello.Capabilities, ","), "doctor") {
		t.Errorf("capabilities %v lack doctor", hello.Capabilities)
	}
	var rep doctor.Report
	if err := call(t, local, "helper.doctor", nil, &rep); err != nil {
		t.Fatal(err)
	}
	r, ok := rep.Find("install.manifest.chromium")
	if !ok || r.Status != doctor.Failed || !strings.HasPrefix(r.Where, home) || rep.Status != doctor.Failed {
		t.Fatalf("local view: %+v", rep)
	}

	for name, c := range map[string]func() (any, *jsonrpc.Error){
		"page": func() (any, *jsonrpc.Error) {
			var raw json.RawMessage
			return &raw, call(t, e.page(t, originA), "helper.doctor", nil, &raw)
		},
		"extension": func() (any, *jsonrpc.Error) {
			var raw json.RawMessage
			return &raw, call(t, e.extensionPage(t), "helper.doctor", nil, &raw)
		},
	} {
		raw, err := c()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		text := string(*raw.(*json.RawMessage))
		if strings.Contains(text, home) || strings.Contains(text, `"where"`) {
			t.Errorf("%s sees paths: %s", name, text)
		}
		if !strings.Contains(text, `"status":"failed"`) || !strings.Contains(text, "Reinstall BPClient") {
			t.Errorf("%s does not see the failure and its fix: %s", name, text)
		}
	}
	slices.Sort(origins)
	if strings.Join(origins, ",") != ",,"+originA {
		t.Errorf("views' origins %q, want the local's and the extension's empty, the page's %s", origins, originA)
	}
}

func TestDoctorAbsent(t *testing.T) {
	e := startAgent(t)
	c := e.dial(t)
	if err := call(t, c, "helper.hello", map[string]any{"client": "cli"}, nil); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "doctor without a doctor", call(t, c, "helper.doctor", nil, nil), jsonrpc.CodeMethodNotFound)
}

// A page asking for a newer helper is refused with update-required; the
// agent records it, and the doctor (the agent's, and a doctor reading the
// same log after the agent is gone) says which version to install. A
// page of another origin hears nothing of it.
func TestDoctorUpdateRequired(t *testing.T) {
	log := doctor.NewPageLog(filepath.Join(t.TempDir(), "state", "doctor-pages.json"), nil)
	d := doctor.New(nil, doctor.UpdateCheck(log))
	e := startAgentOpts(t, Options{Doctor: d, Pages: log})
	report := func(c *client.Client) doctor.Result {
		t.Helper()
		var rep doctor.Report
		if err := call(t, c, "helper.doctor", nil, &rep); err != nil {
			t.Fatal(err)
		}
		r, ok := rep.Find("update.minHelperVersion")
		if !ok {
			t.Fatalf("no update check: %+v", rep)
		}
		return r
	}
	local := e.dial(t)
	if err := call(t, local, "helper.hello", map[string]any{"client": "cli"}, nil); err != nil {
		t.Fatal(err)
	}
	if r := report(local); r.Status != doctor.OK || !strings.Contains(r.Found, "no Agent Desktop page has asked") {
		t.Errorf("before any page: %+v", r)
	}

	old := e.dial(t)
	identify(t, old, ourExt)
	wantCode(t, "hello needing 99.0.0", call(t, old, "helper.hello", map[string]any{"pageOrigin": originA, "minHelperVersion": "99.0.0"}, nil), jsonrpc.CodeUpdateRequired)

	r := report(local)
	if r.Status != doctor.Failed || !strings.Contains(r.Found, originA+" needs 99.0.0 or newer; "+version.Version+" is installed") ||
		r.Fix != "Install BPClient 99.0.0 or newer, or ask your IT department for it." {
		t.Errorf("after the refusal: %+v", r)
	}
	if r := report(e.page(t, originB)); r.Status != doctor.OK || !strings.Contains(r.Found, "this page has not asked") {
		t.Errorf("another origin's view: %+v", r)
	}

	// The page is updated to ask for less: fine again, and the file says so
	// to a doctor of its own.
	if err := call(t, e.dial(t), "helper.hello", nil, nil); err != nil {
		t.Fatal(err)
	}
	again := e.dial(t)
	identify(t, again, ourExt)
	if err := call(t, again, "helper.hello", map[string]any{"pageOrigin": originA, "minHelperVersion": "0.0.1"}, nil); err != nil {
		t.Fatal(err)
	}
	e.stop()
	rep := doctor.New(nil, doctor.UpdateCheck(log)).Run(context.Background(), doctor.View{Local: true})
	if r, _ := rep.Find("update.minHelperVersion"); r.Status != doctor.OK || !strings.Contains(r.Found, "new enough for every page") {
		t.Errorf("after the page asked for less: %+v", r)
	}
	recs, err := log.Records()
	if err != nil || len(recs) != 1 || recs[0].Origin != originA || recs[0].MinHelperVersion != "0.0.1" {
		t.Errorf("records %+v, %v", recs, err)
	}
}
