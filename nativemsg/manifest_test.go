package nativemsg

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// otherID is a second Chromium extension id used by the browser tests
// (internal/testdata/other-extension-key.pub.b64).
const otherID = "globmenbfjbjogcaljnhjmdhogoajckd"

func TestParseBrowsers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Browser
		err  bool
	}{
		{"", AllBrowsers(), false},
		{"all", AllBrowsers(), false},
		{"firefox,chrome", []Browser{Chrome, Firefox}, false},
		{" Chrome , chrome,EDGE", []Browser{Chrome, Edge}, false},
		{"brave,vivaldi,chromium", []Browser{Chromium, Brave, Vivaldi}, false},
		{",,", AllBrowsers(), false},
		{"chrome,opera", nil, true},
		{"safari", nil, true},
	} {
		got, err := ParseBrowsers(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("ParseBrowsers(%q) error = %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseBrowsers(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if got := AllBrowsers(); len(got) != 6 {
		t.Fatalf("AllBrowsers = %v", got)
	}
}

func TestFamilies(t *testing.T) {
	for _, b := range AllBrowsers() {
		want := FamilyChromium
		if b == Firefox {
			want = FamilyFirefox
		}
		if b.Family() != want {
			t.Errorf("%s.Family() = %v, want %v", b, b.Family(), want)
		}
	}
}

func TestSplitExtensionIDs(t *testing.T) {
	cr, ff, err := SplitExtensionIDs([]string{otherID, "other@example.org", ExtensionID, "{01234567-89ab-cdef-0123-456789abcdef}", otherID})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{ExtensionID, otherID}; !reflect.DeepEqual(cr, want) {
		t.Errorf("chromium ids = %v, want %v", cr, want)
	}
	if want := []string{AddonID, "other@example.org", "{01234567-89ab-cdef-0123-456789abcdef}"}; !reflect.DeepEqual(ff, want) {
		t.Errorf("firefox ids = %v, want %v", ff, want)
	}
	for _, bad := range []string{"", "abc", "ohcdnckkmmffiobblhcjgmealjgpgeeZ", "chrome-extension://" + otherID + "/", "no spaces@x y"} {
		if _, _, err := SplitExtensionIDs([]string{bad}); !errors.Is(err, ErrUnknownExtensionID) {
			t.Errorf("SplitExtensionIDs(%q) error = %v, want ErrUnknownExtensionID", bad, err)
		}
	}
}

func TestNewManifestContents(t *testing.T) {
	host := "/opt/bpclient/bpclient-host"
	for _, tc := range []struct {
		family Family
		ids    []string
		want   string
	}{
		{FamilyChromium, []string{ExtensionID, otherID}, `{
  "name": "org.openbpclient.bpclient",
  "description": "BPClient agent desktop helper",
  "path": "/opt/bpclient/bpclient-host",
  "type": "stdio",
  "allowed_origins": [
    "chrome-extension://ohcdnckkmmffiobblhcjgmealjgpgeen/",
    "chrome-extension://globmenbfjbjogcaljnhjmdhogoajckd/"
  ]
}
`},
		{FamilyFirefox, []string{AddonID}, `{
  "name": "org.openbpclient.bpclient",
  "description": "BPClient agent desktop helper",
  "path": "/opt/bpclient/bpclient-host",
  "type": "stdio",
  "allowed_extensions": [
    "bpclient@openbpclient.org"
  ]
}
`},
	} {
		m, err := NewManifest(tc.family, host, tc.ids)
		if err != nil {
			t.Fatal(err)
		}
		data, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if string(data) != tc.want {
			t.Errorf("%v manifest:\n%s\nwant:\n%s", tc.family, data, tc.want)
		}
		// Read back: parses, validates, allows our id, same value.
		back, err := ParseManifest(data)
		if err != nil {
			t.Fatal(err)
		}
		if err := back.Validate(tc.family); err != nil {
			t.Errorf("%v: Validate: %v", tc.family, err)
		}
		if !reflect.DeepEqual(back, m) {
			t.Errorf("%v: read back %+v, want %+v", tc.family, back, m)
		}
		for _, id := range tc.ids {
			if !back.Allows(tc.family, id) {
				t.Errorf("%v: does not allow %s", tc.family, id)
			}
		}
		if back.Allows(tc.family, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") {
			t.Errorf("%v: allows a stranger", tc.family)
		}
		// The other family's field must be absent, not empty.
		var raw map[string]any
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatal(err)
		}
		if len(raw) != 5 {
			t.Errorf("%v: keys %v, want 5", tc.family, raw)
		}
	}
}

func TestNewManifestRejects(t *testing.T) {
	if _, err := NewManifest(FamilyChromium, "/x/bpclient-host", []string{AddonID}); err == nil {
		t.Error("Chromium manifest accepted a Firefox id")
	}
	if _, err := NewManifest(FamilyFirefox, "/x/bpclient-host", []string{"not an id"}); err == nil {
		t.Error("Firefox manifest accepted a bad id")
	}
	if _, err := NewManifest(FamilyChromium, "relative/bpclient-host", []string{ExtensionID}); err == nil {
		t.Error("accepted a relative host path")
	}
	if _, err := NewManifest(FamilyChromium, "/x/bpclient-host", nil); err == nil {
		t.Error("accepted no allowed origins")
	}
	if _, err := NewManifest(Family(9), "/x/bpclient-host", nil); err == nil {
		t.Error("accepted an unknown family")
	}
}

func TestValidate(t *testing.T) {
	good := func() Manifest {
		return Manifest{Name: HostName, Description: "d", Path: "/x/h", Type: "stdio",
			AllowedOrigins: []string{ChromiumOrigin(ExtensionID)}, AllowedExtensions: []string{AddonID}}
	}
	for _, tc := range []struct {
		name   string
		edit   func(*Manifest)
		family Family
		msg    string
	}{
		{"ok chromium", func(*Manifest) {}, FamilyChromium, ""},
		{"ok firefox", func(*Manifest) {}, FamilyFirefox, ""},
		{"upper-case name", func(m *Manifest) { m.Name = "Org.x" }, FamilyChromium, "host name"},
		{"leading dot", func(m *Manifest) { m.Name = ".org.x" }, FamilyChromium, "host name"},
		{"double dot", func(m *Manifest) { m.Name = "org..x" }, FamilyChromium, "host name"},
		{"type", func(m *Manifest) { m.Type = "socket" }, FamilyChromium, "stdio"},
		{"empty path", func(m *Manifest) { m.Path = "" }, FamilyChromium, "path is empty"},
		{"relative path", func(m *Manifest) { m.Path = "h" }, FamilyFirefox, "not absolute"},
		{"wildcard origin", func(m *Manifest) { m.AllowedOrigins = []string{"chrome-extension://*/"} }, FamilyChromium, "allowed origin"},
		{"origin without slash", func(m *Manifest) { m.AllowedOrigins = []string{"chrome-extension://" + ExtensionID} }, FamilyChromium, "allowed origin"},
		{"no origins", func(m *Manifest) { m.AllowedOrigins = nil }, FamilyChromium, "allowed_origins is empty"},
		{"no extensions", func(m *Manifest) { m.AllowedExtensions = nil }, FamilyFirefox, "allowed_extensions is empty"},
		{"bad extension", func(m *Manifest) { m.AllowedExtensions = []string{"*"} }, FamilyFirefox, "allowed extension"},
	} {
		m := good()
		tc.edit(&m)
		err := m.Validate(tc.family)
		switch {
		case tc.msg == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tc.name, err)
		case tc.msg != "" && (err == nil || !strings.Contains(err.Error(), tc.msg)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.msg)
		}
	}
}

func TestParseManifestErrors(t *testing.T) {
	for _, in := range []string{"", "{", "[]", `{"name": 1}`, `{} {}`} {
		if _, err := ParseManifest([]byte(in)); err == nil {
			t.Errorf("ParseManifest(%q) succeeded", in)
		}
	}
	m, err := ParseManifest([]byte(`{"name":"a","future_field":true}`))
	if err != nil || m.Name != "a" {
		t.Errorf("unknown fields: %+v, %v", m, err)
	}
}

func FuzzParseManifest(f *testing.F) {
	m, _ := NewManifest(FamilyChromium, "/x/bpclient-host", []string{ExtensionID})
	data, _ := m.Marshal()
	f.Add(data)
	f.Add([]byte(`{"name":"org.x","type":"stdio","path":"/p","allowed_extensions":["a@b"]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		for _, fam := range []Family{FamilyChromium, FamilyFirefox} {
			if m.Validate(fam) != nil {
				continue
			}
			// A valid manifest survives a round trip unchanged and valid.
			out, err := m.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseManifest(out)
			if err != nil {
				t.Fatalf("re-parse: %v", err)
			}
			if err := back.Validate(fam); err != nil {
				t.Fatalf("re-validate: %v", err)
			}
			if !reflect.DeepEqual(normalize(back), normalize(m)) {
				t.Fatalf("round trip changed %+v into %+v", m, back)
			}
		}
	})
}

// normalize maps empty lists to nil: omitempty drops them on the way out.
func normalize(m Manifest) Manifest {
	if len(m.AllowedOrigins) == 0 {
		m.AllowedOrigins = nil
	}
	if len(m.AllowedExtensions) == 0 {
		m.AllowedExtensions = nil
	}
	return m
}
