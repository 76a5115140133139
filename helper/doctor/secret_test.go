package doctor_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/helper/ipc"
	"github.com/openbpclient/bpclient/helper/phoneapi"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/helper/refusals"
	"github.com/openbpclient/bpclient/helper/support"
	"github.com/openbpclient/bpclient/internal/siptest"
)

// The SIP password of a phone registered with a real Kamailio never
// reaches a doctor result: every view of helper.doctor, every field,
// is searched for it.
func TestDoctorHoldsNoSecrets(t *testing.T) {
	const password = "Doc-Secret-7f3a9c"
	k := siptest.StartKamailio(t, siptest.KamailioOptions{Users: []siptest.User{{Name: "1001", Password: password}}})
	if k == nil {
		return
	}
	dir, err := os.MkdirTemp("", "dsec")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	store := &policy.Store{AdminFile: filepath.Join(dir, "admin.json"), UserFile: filepath.Join(dir, "user.json")}
	if err := os.WriteFile(store.AdminFile, []byte(`{"domains":["agent.example.test"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	os.MkdirAll(filepath.Join(home, ".config", "chromium", "Default"), 0o700)
	env := map[string]string{"HOME": home}
	roots := doctor.Roots{GOOS: "linux", Getenv: func(k string) string { return env[k] }, System: filepath.Join(dir, "sys")}
	pages := doctor.NewPageLog(filepath.Join(dir, "state", "pages.json"), nil)
	// The phone and refusal checks too: the history the phone check
	// reads is fed by the phone below.
	history := support.NewHistory(nil)
	refusals := refusals.New(filepath.Join(dir, "state", "refusals.json"), nil)
	// And the network, quality and audio checks, which read the phone's
	// server, the calls' summaries and the sound system.
	server := doctor.PhoneTarget{Configured: true, Server: k.Addr(), Transport: "udp"}
	d := doctor.Standard(doctor.Options{Roots: roots, Agent: doctor.SelfAgent, Pages: pages, Phone: history.PhoneProbe, Refusals: refusals,
		Network: func(context.Context) doctor.PhoneTarget { return server }, Quality: history.QualityProbe,
		Audio: func(context.Context) doctor.AudioState { return doctor.AudioStateOf(nil, nil, "", "") }})

	ln, err := ipc.Listen(filepath.Join(dir, "run", "agent.sock"))
	if err != nil {
		t.Fatal(err)
	}
	srv := agent.New(agent.Options{Policy: store, Logger: zerolog.Nop(), Doctor: d, Pages: pages, Refusals: refusals})
	phone := phoneapi.New(phoneapi.Options{Logger: zerolog.Nop(), Events: support.Recorder{Next: srv, History: history}})
	t.Cleanup(phone.Close)
	if err := srv.Register(phone); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-served })

	dial := func(origin string) *client.Client {
		t.Helper()
		c, err := client.Dial(ctx, ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		hello := map[string]any{"client": "t"}
		if origin != "" {
			c.Notify("relay.identify", map[string]any{"browser": "chromium", "extension": "chrome-extension://" + policy.ChromiumExtensionID + "/"})
			hello["pageOrigin"], hello["minHelperVersion"] = origin, "0.0.1"
		}
		if err := c.Call(ctx, "helper.hello", hello, nil); err != nil {
			t.Fatal(err)
		}
		return c
	}
	local := dial("")
	conf := map[string]any{"server": "127.0.0.1:" + strconv.Itoa(k.Port), "domain": "127.0.0.1", "username": "1001", "password": password}
	if err := local.Call(ctx, "phone.configure", conf, nil); err != nil {
		t.Fatal(err)
	}
	if err := local.Call(ctx, "phone.register", nil, nil); err != nil {
		t.Fatal(err)
	}
	registered := false
	for !registered && ctx.Err() == nil {
		var st struct {
			Registration struct{ State string } `json:"registration"`
		}
		if err := local.Call(ctx, "phone.status", nil, &st); err != nil {
			t.Fatal(err)
		}
		registered = st.Registration.State == "registered"
		time.Sleep(100 * time.Millisecond)
	}
	if !registered {
		t.Fatal("the phone did not register with Kamailio")
	}

	for name, c := range map[string]*client.Client{"local": local, "page": dial("https://agent.example.test")} {
		var raw json.RawMessage
		if err := c.Call(ctx, "helper.doctor", nil, &raw); err != nil {
			t.Fatal(err)
		}
		var rep doctor.Report
		if err := json.Unmarshal(raw, &rep); err != nil || len(rep.Checks) == 0 {
			t.Fatalf("%s: %v %s", name, err, raw)
		}
		if strings.Contains(string(raw), password) || strings.Contains(strings.ToLower(string(raw)), "secret") {
			t.Errorf("%s: the doctor's report holds the SIP password: %s", name, raw)
		}
		if r, ok := rep.Find("phone.registration"); name == "local" && (!ok || r.Status != doctor.OK || !strings.Contains(r.Found, "registered")) {
			t.Errorf("local: the phone check %+v", r)
		}
		if r, ok := rep.Find("network.sip"); name == "local" && (!ok || r.Status != doctor.OK) {
			t.Errorf("local: the network check %+v", r)
		}
	}
}
