package policy

import (
	"os"
	"testing"

	"golang.org/x/sys/windows/registry"
)

// TestRegistryAdminPolicy reads the admin policy from HKLM\Software\BPClient
// as Group Policy writes it. It replaces that key, so it runs only when
// asked to (BPCLIENT_TEST_HKLM=1: a throwaway machine or a wine prefix).
func TestRegistryAdminPolicy(t *testing.T) {
	if os.Getenv("BPCLIENT_TEST_HKLM") != "1" {
		t.Skip(`writes HKLM\Software\BPClient; set BPCLIENT_TEST_HKLM=1 on a throwaway machine or under wine`)
	}
	k, _, err := registry.CreateKey(registry.LOCAL_MACHINE, adminKey, registry.SET_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = registry.DeleteKey(registry.LOCAL_MACHINE, adminKey) })
	for name, v := range map[string]uint32{"UsersCanManageDomains": 0, "AllowRemoteTransfer": 1, "ScreenRecordingIndicator": 1} {
		if err := k.SetDWordValue(name, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := k.SetStringsValue("Domains", []string{"agent.example.com"}); err != nil {
		t.Fatal(err)
	}
	k.Close()
	f, err := readAdminPolicy()
	if err != nil {
		t.Fatal(err)
	}
	if !f.AllowRemoteTransfer || !f.ScreenRecordingIndicator || f.UsersCanManageDomains == nil || *f.UsersCanManageDomains || len(f.Domains) != 1 {
		t.Errorf("read %+v", f)
	}
}
