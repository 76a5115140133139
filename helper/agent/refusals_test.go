package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/helper/refusals"
)

// TestDoctorNamesRefusedPages: pages the agent refuses (not on the
// allow-list, not https, admin-locked) are recorded, and helper.doctor's
// pages.refused check names each with the exact domain to allow and how;
// an allowed page hears of none of them.
func TestDoctorNamesRefusedPages(t *testing.T) {
	log := refusals.New(filepath.Join(t.TempDir(), "doctor-refusals.json"), nil)
	e := startAgentOpts(t, Options{Refusals: log, Doctor: doctor.New(nil, doctor.RefusalCheck(log, nil))})
	refuse := func(origin string) {
		t.Helper()
		c := e.dial(t)
		identify(t, c, ourExt)
		if err := call(t, c, "helper.hello", map[string]any{"client": "page", "pageOrigin": origin}, nil); err == nil {
			t.Fatalf("%s was admitted", origin)
		}
	}
	refuse("https://crm.other.example")
	refuse("https://crm.other.example")
	refuse("http://agent.example.test")
	os.WriteFile(e.store.AdminFile, []byte(`{"domains":["agent.example.test"],"usersCanManageDomains":false}`), 0o600)
	refuse("https://locked.example.org")
	os.WriteFile(e.store.AdminFile, []byte(`{"domains":["agent.example.test"],"usersCanManageDomains":true}`), 0o600)

	var rep doctor.Report
	local := e.dial(t)
	if err := call(t, local, "helper.hello", map[string]any{"client": "cli"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := call(t, local, "helper.doctor", nil, &rep); err != nil {
		t.Fatal(err)
	}
	r, ok := rep.Find("pages.refused")
	if !ok || r.Status != doctor.Warning {
		t.Fatalf("check %+v", r)
	}
	for _, want := range []string{"https://crm.other.example was refused because crm.other.example is not on the allow-list (2 times",
		"http://agent.example.test was refused because it is not served over https", "locked.example.org is not on the allow-list, which your administrator manages"} {
		if !strings.Contains(r.Found, want) {
			t.Errorf("found %q lacks %q", r.Found, want)
		}
	}
	for _, want := range []string{"bpclient policy allow crm.other.example", "https://agent.example.test", "Ask IT to add locked.example.org"} {
		if !strings.Contains(r.Fix, want) {
			t.Errorf("fix %q lacks %q", r.Fix, want)
		}
	}

	var pageRep doctor.Report
	if err := call(t, e.page(t, originA), "helper.doctor", nil, &pageRep); err != nil {
		t.Fatal(err)
	}
	if pr, _ := pageRep.Find("pages.refused"); pr.Status != doctor.OK || strings.Contains(pr.Found, "other.example") {
		t.Errorf("an allowed page sees others' refusals: %+v", pr)
	}
}
