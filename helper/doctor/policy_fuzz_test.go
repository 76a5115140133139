package doctor

import (
	"slices"
	"testing"

	"github.com/openbpclient/bpclient/nativemsg"
)

// FuzzChromePolicy: any input parses or errors without panicking, and
// what parses obeys the documented rules: an allow-listed host is never
// blocked, a "*" block blocks every host not allowed, merging a policy
// with itself changes no answer.
func FuzzChromePolicy(f *testing.F) {
	for _, s := range []string{
		`{"NativeMessagingBlocklist": ["*"]}`,
		`{"NativeMessagingBlocklist": ["*"], "NativeMessagingAllowlist": ["org.openbpclient.bpclient"]}`,
		`{"NativeMessagingUserLevelHosts": false, "ExtensionInstallBlocklist": ["*"], "ExtensionInstallForcelist": ["ohcdnckkmmffiobblhcjgmealjgpgeen;https://x"]}`,
		`{"ExtensionSettings": "{\"*\": {\"installation_mode\": \"blocked\"}}"}`,
		`{"ExtensionSettings": {"ohcdnckkmmffiobblhcjgmealjgpgeen": {"installation_mode": 3}}}`,
		"\xef\xbb\xbf{}", `[]`, `null`, `{"NativeMessagingBlocklist": "*"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parseChromePolicy(data)
		if err != nil {
			return
		}
		host := nativemsg.HostName
		if slices.Contains(p.nmAllow, host) && p.hostBlocked(host) {
			t.Fatalf("allow-listed host blocked: %+v", p)
		}
		before := p.hostBlocked(host)
		blockedBefore, _ := p.extensionBlocked(nativemsg.ExtensionID)
		var twice chromePolicy
		twice.merge(p)
		twice.merge(p)
		if twice.hostBlocked(host) != before || twice.userLevelHostsOff != p.userLevelHostsOff {
			t.Fatalf("merging with itself changed the host answer: %+v", p)
		}
		if b, _ := twice.extensionBlocked(nativemsg.ExtensionID); b != blockedBefore {
			t.Fatalf("merging with itself changed the extension answer: %+v", p)
		}
		p.nmBlock = append(p.nmBlock, "*")
		if !p.hostBlocked(host) && !slices.Contains(p.nmAllow, host) {
			t.Fatalf("\"*\" does not block a host that is not allowed: %+v", p)
		}
	})
}

// FuzzFirefoxPolicy: policies.json of any shape parses or errors, and an
// add-on Extensions.Uninstall names is always blocked.
func FuzzFirefoxPolicy(f *testing.F) {
	for _, s := range []string{
		`{"policies": {"ExtensionSettings": {"*": {"installation_mode": "blocked"}}}}`,
		`{"policies": {"ExtensionSettings": {"bpclient@openbpclient.org": {"installation_mode": "allowed"}, "*": {"installation_mode": "blocked"}}}}`,
		`{"policies": {"Extensions": {"Uninstall": ["bpclient@openbpclient.org"]}}}`,
		`{"policies": {"Extensions": ["x"]}}`, `{}`, `{"policies": null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parseFirefoxPolicy(data)
		if err != nil {
			return
		}
		p.addonBlocked(nativemsg.AddonID)
		p.uninstall = append(p.uninstall, nativemsg.AddonID)
		if blocked, by := p.addonBlocked(nativemsg.AddonID); !blocked || by != "Extensions.Uninstall" {
			t.Fatalf("uninstalled add-on not blocked: %+v", p)
		}
	})
}
