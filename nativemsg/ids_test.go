package nativemsg

import (
	"regexp"
	"testing"
)

// The id and host-name rules as regular expressions: the oracle the
// hand-written checks must agree with (the package itself does without
// regexp, which the host and the agent would otherwise load and compile
// at every start).
var (
	chromiumIDRE = regexp.MustCompile(`^[a-p]{32}$`)
	geckoIDRE    = regexp.MustCompile(`^([A-Za-z0-9._+-]*@[A-Za-z0-9._-]+|\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\})$`)
	hostNameRE   = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)
)

var idSeeds = []string{
	"", "@", "a@", "@b", "a@b", "+x.y-z_@mozilla.org", "bpclient@openbpclient.org", "a@b@c", "a b@c",
	"{12345678-9abc-DEF0-1234-56789abcdef0}", "{12345678-9abc-def0-1234-56789abcdef0", "{12345678-9abc-def0-1234-56789abcdefg}",
	"{123456789abc-def0-1234-56789abcdef0-}", "{}", "ohcdnckkmmffiobblhcjgmealjgpgeen", "ohcdnckkmmffiobblhcjgmealjgpgeeq",
	"ohcdnckkmmffiobblhcjgmealjgpgee", "org.openbpclient.bpclient", "org..x", ".org", "org.", "Org.x", "a_1.b_2", "a\n", "a@b\n",
}

func checkIDRules(t *testing.T, s string) {
	t.Helper()
	if got, want := IsChromiumID(s), chromiumIDRE.MatchString(s); got != want {
		t.Errorf("IsChromiumID(%q) = %v, the rule says %v", s, got, want)
	}
	if got, want := IsAddonID(s), len(s) <= 255 && geckoIDRE.MatchString(s); got != want {
		t.Errorf("IsAddonID(%q) = %v, the rule says %v", s, got, want)
	}
	if got, want := isHostName(s), hostNameRE.MatchString(s); got != want {
		t.Errorf("isHostName(%q) = %v, the rule says %v", s, got, want)
	}
}

func TestIDRules(t *testing.T) {
	for _, s := range idSeeds {
		checkIDRules(t, s)
	}
}

func FuzzIDRules(f *testing.F) {
	for _, s := range idSeeds {
		f.Add(s)
	}
	f.Fuzz(checkIDRules)
}
