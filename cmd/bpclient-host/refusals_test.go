package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/internal/browsertest"
)

// TestHostRecordsRefusedPages: a page the host refuses itself (no agent
// runs) is in the refusal log, and `bpclient doctor` then names it with
// the exact domain to allow.
func TestHostRecordsRefusedPages(t *testing.T) {
	w := newWorld(t)
	if err := browsertest.WriteUserPolicy(w.env, "agent.example.test"); err != nil {
		t.Fatal(err)
	}
	h := w.startHost(t, w.bins.Host, origin)
	h.send(`{"jsonrpc":"2.0","id":1,"method":"helper.hello","params":{"pageOrigin":"https://crm.evil.test"}}`)
	if m := h.answer("1"); m.Error == nil || m.Error.Code != jsonrpc.CodeNotAllowed {
		t.Fatalf("refused hello: %+v", m.Error)
	}
	if _, code := h.closeAndWait(); code != 0 {
		t.Fatalf("exit code %d", code)
	}

	cmd := exec.Command(w.bins.CLI, "doctor", "--json", "--browsers", "chromium")
	cmd.Env = w.env.Environ()
	out, _ := cmd.Output() // exit 4: the checks of an uninstalled helper fail
	var rep doctor.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	r, ok := rep.Find("pages.refused")
	if !ok || r.Status != doctor.Warning || !strings.Contains(r.Found, "https://crm.evil.test was refused because crm.evil.test is not on the allow-list") ||
		!strings.Contains(r.Fix, "bpclient policy allow crm.evil.test") {
		t.Errorf("pages.refused %+v", r)
	}
}
