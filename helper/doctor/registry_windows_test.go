package doctor

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/windows/registry"

	"github.com/openbpclient/bpclient/nativemsg"
)

// onlyInWinePrefix skips a test that writes the registry (what names the
// hives) unless it runs in the private wine prefix that
// TestWindowsRegistryUnderWine boots: never on a real desktop.
func onlyInWinePrefix(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("BPCLIENT_DOCTOR_WINE_PREFIX") == "" {
		t.Skip("writes " + what + ": runs only in the private wine prefix of TestWindowsRegistryUnderWine")
	}
}

// TestRegistryUnderWine runs the real registry reader and the Windows
// checks against keys written the way Group Policy and the installer
// write them. It writes HKCU, so it runs only inside the private wine
// prefix TestWindowsRegistryUnderWine boots, never on a real desktop.
func TestRegistryUnderWine(t *testing.T) {
	onlyInWinePrefix(t, "HKCU")
	set := func(key string, values map[string]any) {
		t.Helper()
		k, _, err := registry.CreateKey(registry.CURRENT_USER, key, registry.ALL_ACCESS)
		if err != nil {
			t.Fatal(err)
		}
		defer k.Close()
		for name, v := range values {
			switch v := v.(type) {
			case string:
				err = k.SetStringValue(name, v)
			case uint32:
				err = k.SetDWordValue(name, v)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	policyKey := `Software\Policies\Google\Chrome`
	set(policyKey+`\NativeMessagingBlocklist`, map[string]any{"1": "com.example.a", "2": "com.example.b", "10": "*"})
	set(policyKey, map[string]any{"NativeMessagingUserLevelHosts": uint32(0),
		"ExtensionSettings": `{"` + nativemsg.ExtensionID + `": {"installation_mode": "allowed"}}`})

	reg := systemRegistry()
	list, ok, err := reg.Strings("HKCU", policyKey+`\NativeMessagingBlocklist`)
	if err != nil || !ok || len(list) != 3 || list[2] != "*" {
		t.Errorf("Strings: %v %v %v, want the values in the order 1, 2, 10", list, ok, err)
	}
	if v, ok, err := reg.Integer("HKCU", policyKey, "NativeMessagingUserLevelHosts"); err != nil || !ok || v != 0 {
		t.Errorf("Integer: %v %v %v", v, ok, err)
	}
	if _, ok, err := reg.String("HKLM", `Software\Policies\NoSuchVendor`, "x"); ok || err != nil {
		t.Errorf("absent key: %v %v", ok, err)
	}

	roots := DefaultRoots()
	r := chromePolicyCheck(roots, nativemsg.Chrome)
	wantResult(t, r, Warning, "NativeMessagingBlocklist policy blocks the helper; the NativeMessagingUserLevelHosts policy", "NativeMessagingAllowlist")
	if r.Where != `HKCU\`+policyKey {
		t.Errorf("where %q", r.Where)
	}

	// The installer's registration: HKCU\...\NativeMessagingHosts\<name>
	// names a manifest in LOCALAPPDATA.
	loc, err := nativemsg.ManifestLocation("windows", nativemsg.Chrome, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	m, err := nativemsg.NewManifest(nativemsg.FamilyChromium, exe, []string{nativemsg.ExtensionID})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := m.Marshal()
	mustWrite(t, loc.File, string(data))
	check := ManifestChecks(roots, []nativemsg.Browser{nativemsg.Chrome}, func(context.Context, string) error { return nil })
	wantResult(t, only(t, check(context.Background(), View{Local: true}), "install.manifest.chrome"), OK, "not registered", "")
	set(loc.RegistryKey, map[string]any{"": loc.File})
	r = only(t, check(context.Background(), View{Local: true}), "install.manifest.chrome")
	wantResult(t, r, OK, "manifest is ready", "")
	if want := `HKCU\` + loc.RegistryKey + " -> " + loc.File; r.Where != want {
		t.Errorf("where %q, want %q", r.Where, want)
	}
	set(loc.RegistryKey, map[string]any{"": filepath.Join(filepath.Dir(loc.File), "gone.json")})
	wantResult(t, only(t, check(context.Background(), View{Local: true}), "install.manifest.chrome"), Warning, "registry names a helper manifest that does not exist", "")
}
