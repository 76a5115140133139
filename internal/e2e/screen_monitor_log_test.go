//go:build linux

package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/helper/monitorapi"
)

// TestScreenMonitorLibraryLogs: a monitoring session's pion lines (ICE,
// DTLS, WebRTC) reach the watched agent's BPClient.log at debug level,
// marked lib=pion, part=screen, and none holds key material: no PEM
// block, no SRTP master key or salt, no ICE password of the session's
// descriptions.
func TestScreenMonitorLibraryLogs(t *testing.T) {
	w := newMonitorWorld(t)
	if w == nil {
		return
	}
	cmd := exec.Command(binaries(t).CLI, "log", "level", "debug")
	cmd.Env = w.agentEnv.Environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bpclient log level debug: %v: %s", err, out)
	}
	agentCursor := 0
	w.connect(t, "m1", "v1", 2)
	w.agentPage.Await(&agentCursor, "monitor live", stateIs(monitorapi.EventMonitorState, "live"))
	if jerr := w.agentPage.Call("screen.monitor.stop", map[string]any{"monitorId": "m1"}, nil); jerr != nil {
		t.Fatalf("stop: %v", jerr)
	}
	w.agentPage.Await(&agentCursor, "monitor ended", stateIs(monitorapi.EventMonitorState, "ended"))

	var passwords []string
	for _, m := range regexp.MustCompile(`a=ice-pwd:(\S+)`).FindAllStringSubmatch(strings.Join(w.sdps, "\n"), -1) {
		passwords = append(passwords, m[1])
	}
	if len(passwords) < 2 {
		t.Fatalf("the session's descriptions have %d ICE passwords", len(passwords))
	}
	f, err := os.Open(w.agentEnv.LogFile())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	debug := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, secret := range append([]string{"BEGIN ", "PRIVATE KEY", "master_key", "masterKey", "master key"}, passwords...) {
			if strings.Contains(line, secret) {
				t.Errorf("BPClient.log holds %q: %s", secret, line)
			}
		}
		var l struct{ Level, Lib, Part, Scope, Message string }
		if json.Unmarshal([]byte(line), &l) != nil || l.Lib != "pion" {
			continue
		}
		if l.Part != "screen" {
			t.Errorf("a pion line without part=screen: %s", line)
		}
		if l.Level == "debug" {
			if debug == 0 {
				t.Logf("first pion debug line: %s", line)
			}
			debug++
		}
	}
	if debug == 0 {
		t.Fatalf("no pion debug line of the monitoring session in BPClient.log")
	}
	t.Logf("%d pion debug lines", debug)
}
