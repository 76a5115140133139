package browsertest

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/nativemsg/extension"
	"github.com/openbpclient/bpclient/version"
)

func TestEnviron(t *testing.T) {
	t.Setenv("HOME", "/real/home")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/0/bus")
	t.Setenv("BPCLIENT_KEEP", "1")
	env, err := NewEnv(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, kv := range env.Environ("TMPDIR=/x") {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = append(got[k], v)
	}
	for k, want := range map[string]string{
		"HOME": env.Home, "XDG_CONFIG_HOME": env.ConfigHome, "XDG_RUNTIME_DIR": env.RuntimeDir,
		"XDG_STATE_HOME": env.StateHome, "TMPDIR": "/x", "BPCLIENT_KEEP": "1",
	} {
		if len(got[k]) != 1 || got[k][0] != want {
			t.Errorf("%s = %q, want exactly %q", k, got[k], want)
		}
	}
	if _, ok := got["DBUS_SESSION_BUS_ADDRESS"]; ok {
		t.Error("DBUS_SESSION_BUS_ADDRESS leaks into the isolated environment")
	}
}

func TestServer(t *testing.T) {
	s, err := StartServer()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var state tls.ConnectionState
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			// What the browsers' resolver rules do.
			_, port, _ := net.SplitHostPort(addr)
			return (&net.Dialer{}).DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
		},
	}}
	get := func(url string) string {
		t.Helper()
		resp, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.TLS != nil {
			state = *resp.TLS
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s", url, resp.Status)
		}
		return string(b)
	}
	want, _ := fs.ReadFile(extension.Page(), "bpclient.js")
	if got := get(s.URL(OtherDomain, "/bpclient.js")); got != string(want) {
		t.Error("https bpclient.js differs from the embedded one")
	}
	if !strings.Contains(get(s.URL(AllowedDomain, "/")), "demo.js") {
		t.Error("/ is not the demo page")
	}
	leaf := state.PeerCertificates[0]
	for _, d := range TestDomains {
		if err := leaf.VerifyHostname(d); err != nil {
			t.Error(err)
		}
	}
	if err := leaf.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
	if !strings.Contains(get(s.PlainURL(AllowedDomain, "/demo.html")), "bpclient.js") {
		t.Error("plain http does not serve the demo page")
	}
}

// fakeMarionette answers like Firefox: a greeting, then one scripted
// answer per command.
func fakeMarionette(t *testing.T, answer func(id int, name string, params json.RawMessage) []any) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		send := func(v any) {
			b, _ := json.Marshal(v)
			fmt.Fprintf(c, "%d:%s", len(b), b)
		}
		send(map[string]any{"applicationType": "gecko", "marionetteProtocol": 3})
		r := bufio.NewReader(c)
		for {
			prefix, err := r.ReadString(':')
			if err != nil {
				return
			}
			n, _ := strconv.Atoi(strings.TrimSuffix(prefix, ":"))
			buf := make([]byte, n)
			if _, err := io.ReadFull(r, buf); err != nil {
				return
			}
			var cmd []json.RawMessage
			json.Unmarshal(buf, &cmd)
			var id int
			var name string
			json.Unmarshal(cmd[1], &id)
			json.Unmarshal(cmd[2], &name)
			for _, a := range answer(id, name, cmd[3]) {
				send(a)
			}
		}
	}()
	return ln.Addr().String()
}

func TestMarionette(t *testing.T) {
	addr := fakeMarionette(t, func(id int, name string, params json.RawMessage) []any {
		switch name {
		case "WebDriver:GetWindowHandle":
			// A stale answer first: the client must skip it.
			return []any{[]any{1, id - 1, nil, map[string]any{"value": "stale"}}, []any{1, id, nil, map[string]any{"value": "42"}}}
		case "Echo":
			return []any{[]any{1, id, nil, json.RawMessage(params)}}
		default:
			return []any{[]any{1, id, map[string]any{"error": "unknown command", "message": name}, nil}}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := dialMarionette(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var h string
	if err := m.Call(ctx, "WebDriver:GetWindowHandle", nil, &valueOf[string]{&h}); err != nil || h != "42" {
		t.Errorf("handle = %q, %v", h, err)
	}
	var echo struct{ A []int }
	if err := m.Call(ctx, "Echo", map[string]any{"a": []int{1, 2}}, &echo); err != nil || len(echo.A) != 2 {
		t.Errorf("echo = %+v, %v", echo, err)
	}
	err = m.Call(ctx, "Nope", nil, nil)
	if e, ok := err.(*MarionetteError); !ok || e.Err != "unknown command" {
		t.Errorf("error = %v (%T), want unknown command", err, err)
	}
}

func TestFirefoxPrefs(t *testing.T) {
	p := firefoxPrefs([]FirefoxAddon{{ID: extension.GeckoID, UUID: "u-1"}}, map[string]any{"extensions.background.idle.timeout": 2000})
	for _, want := range []string{
		`user_pref("marionette.port", 0);`,
		`user_pref("xpinstall.signatures.required", false);`,
		`user_pref("network.dns.localDomains", "` + strings.Join(TestDomains, ",") + `");`,
		`user_pref("extensions.webextensions.uuids", "{\"bpclient@openbpclient.org\":\"u-1\"}");`,
		`user_pref("extensions.background.idle.timeout", 2000);`,
	} {
		if !strings.Contains(p, want) {
			t.Errorf("user.js lacks %s", want)
		}
	}
}

// The extension's version follows the release version.
func TestExtensionVersion(t *testing.T) {
	src, err := fs.ReadFile(extension.Files(), "manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Version string }
	json.Unmarshal(src, &m)
	if m.Version != version.Version {
		t.Errorf("manifest.json version %s, release version %s", m.Version, version.Version)
	}
	js, _ := fs.ReadFile(extension.Page(), "bpclient.js")
	if !strings.Contains(string(js), `version: "`+version.Version+`"`) {
		t.Errorf("bpclient.js does not carry version %s", version.Version)
	}
}
