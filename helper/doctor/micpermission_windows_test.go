package doctor

import (
	"os/exec"
	"testing"
)

// TestMicrophonePermissionUnderWine writes the privacy setting's values
// with reg.exe, as Windows' Settings app leaves them, and reads them
// back through the real registry reader. It writes HKCU and HKLM, so it
// runs only inside the private wine prefix TestWindowsRegistryUnderWine
// boots, never on a real desktop.
func TestMicrophonePermissionUnderWine(t *testing.T) {
	onlyInWinePrefix(t, "HKCU and HKLM")
	set := func(hive, key, value string) {
		t.Helper()
		if out, err := exec.Command("reg", "add", hive+`\`+key, "/v", "Value", "/t", "REG_SZ", "/d", value, "/f").CombinedOutput(); err != nil {
			t.Fatalf("reg add %s\\%s %s: %v: %s", hive, key, value, err, out)
		}
	}
	check := func() Result { t.Helper(); return micPermission(t, DefaultRoots()) }
	wantResult(t, check(), OK, "Windows lets BPClient use the microphone", "")

	set("HKCU", consentKey, "Deny")
	r := check()
	wantResult(t, r, Failed, "does not let apps use the microphone", "Let apps access your microphone")
	if r.Where != `HKCU\`+consentKey {
		t.Errorf("where %q", r.Where)
	}
	set("HKCU", consentKey, "Allow")
	set("HKCU", consentKey+`\NonPackaged`, "Deny")
	wantResult(t, check(), Failed, "desktop apps such as BPClient", "Let desktop apps access your microphone")
	set("HKCU", consentKey+`\NonPackaged`, "Allow")
	wantResult(t, check(), OK, "lets BPClient use", "")
	set("HKLM", consentKey, "Deny")
	wantResult(t, check(), Failed, "the computer's microphone access is off", "Ask IT")
}
