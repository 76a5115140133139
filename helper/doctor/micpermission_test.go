package doctor

import (
	"context"
	"strings"
	"testing"
)

func micPermission(t *testing.T, roots Roots) Result {
	t.Helper()
	return only(t, MicrophonePermissionCheck(roots)(context.Background(), View{Local: true}), "audio.permission")
}

// TestMicrophonePermissionOtherSystems: macOS says how to look (never
// failed); Linux says why it is not checked.
func TestMicrophonePermissionOtherSystems(t *testing.T) {
	mac := micPermission(t, Roots{GOOS: "darwin"})
	wantResult(t, mac, OK, "System Settings > Privacy & Security > Microphone", "")
	linux := micPermission(t, Roots{GOOS: "linux"})
	wantResult(t, linux, OK, "not checked: linux has no per-app microphone permission", "")
	noReg := micPermission(t, Roots{GOOS: "windows"})
	wantResult(t, noReg, Warning, "cannot be read", "Let apps access your microphone")
}

// TestMicrophonePermissionSwitches: the device's switch (HKLM) is read
// before the user's and the desktop apps'; absent values allow.
func TestMicrophonePermissionSwitches(t *testing.T) {
	k := consentKey + `\Value`
	np := consentKey + `\NonPackaged\Value`
	for _, tc := range []struct {
		name   string
		values map[string]string
		want   Status
		found  string
	}{
		{"none written", nil, OK, "lets BPClient use"},
		{"all allowed", map[string]string{`HKLM\` + k: "Allow", `HKCU\` + k: "Allow", `HKCU\` + np: "Allow"}, OK, "lets BPClient use"},
		{"device off", map[string]string{`HKLM\` + k: "Deny", `HKCU\` + np: "Deny"}, Failed, "the computer's microphone access is off"},
		{"apps off", map[string]string{`HKCU\` + k: "Deny"}, Failed, "does not let apps use"},
		{"desktop apps off", map[string]string{`HKCU\` + k: "Allow", `HKCU\` + np: "deny"}, Failed, "desktop apps such as BPClient"},
	} {
		r := micPermission(t, Roots{GOOS: "windows", Registry: fakeRegistry{strs: tc.values}})
		if r.Status != tc.want || !strings.Contains(r.Found, tc.found) || (tc.want != OK && r.Fix == "") {
			t.Errorf("%s: %+v", tc.name, r)
		}
	}
}
