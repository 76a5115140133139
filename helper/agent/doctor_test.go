package agent

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/nativemsg"
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
