package nativemsg

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// HostName is the native-messaging host name the extension passes to
// runtime.connectNative. It is also the manifest's file name (plus .json)
// on Linux and macOS and the registry key's last element on Windows.
const HostName = "org.openbpclient.bpclient"

// HostDescription is the manifest's "description".
const HostDescription = "BPClient agent desktop helper"

// ExtensionID is the Chromium id of the bpclient extension, fixed by the
// public key in its manifest (nativemsg/extension/key.pub.b64).
const ExtensionID = "ohcdnckkmmffiobblhcjgmealjgpgeen"

// AddonID is the Firefox add-on id of the bpclient extension
// (browser_specific_settings.gecko.id).
const AddonID = "bpclient@openbpclient.org"

// Family is a group of browsers that read the same kind of manifest.
type Family int

const (
	// FamilyChromium: Chrome, Chromium, Edge, Brave, Vivaldi read
	// "allowed_origins" of chrome-extension:// origins.
	FamilyChromium Family = iota + 1
	// FamilyFirefox reads "allowed_extensions" of add-on ids.
	FamilyFirefox
)

func (f Family) String() string {
	switch f {
	case FamilyChromium:
		return "chromium"
	case FamilyFirefox:
		return "firefox"
	}
	return fmt.Sprintf("Family(%d)", int(f))
}

// Browser names one browser whose per-user host manifests we manage.
type Browser string

// The browsers install knows, in the order they are reported.
const (
	Chrome   Browser = "chrome"
	Chromium Browser = "chromium"
	Edge     Browser = "edge"
	Brave    Browser = "brave"
	Vivaldi  Browser = "vivaldi"
	Firefox  Browser = "firefox"
)

// Browsers lists every known browser, in report order.
var browsers = []Browser{Chrome, Chromium, Edge, Brave, Vivaldi, Firefox}

// AllBrowsers returns every known browser, in report order.
func AllBrowsers() []Browser { return slices.Clone(browsers) }

// Family says which kind of manifest the browser reads.
func (b Browser) Family() Family {
	if b == Firefox {
		return FamilyFirefox
	}
	return FamilyChromium
}

// Known reports whether b is one of AllBrowsers.
func (b Browser) Known() bool { return slices.Contains(browsers, b) }

// ParseBrowsers reads a comma-separated list such as "chrome,firefox".
// Names are case-insensitive; "all" or an empty list means every browser.
// The result follows report order and holds no duplicates.
func ParseBrowsers(list string) ([]Browser, error) {
	seen := map[Browser]bool{}
	for _, f := range strings.Split(list, ",") {
		name := Browser(strings.ToLower(strings.TrimSpace(f)))
		switch {
		case name == "":
			continue
		case name == "all":
			return AllBrowsers(), nil
		case !name.Known():
			return nil, fmt.Errorf("unknown browser %q (known: %s)", string(name), browserList())
		}
		seen[name] = true
	}
	if len(seen) == 0 {
		return AllBrowsers(), nil
	}
	var out []Browser
	for _, b := range browsers {
		if seen[b] {
			out = append(out, b)
		}
	}
	return out, nil
}

func browserList() string {
	names := make([]string, len(browsers))
	for i, b := range browsers {
		names[i] = string(b)
	}
	return strings.Join(names, ",")
}

// Manifest is a native-messaging host manifest. Chromium-family browsers
// read AllowedOrigins, Firefox reads AllowedExtensions; one of the two is
// set.
type Manifest struct {
	Name              string   `json:"name"`
	Description       string   `json:"description"`
	Path              string   `json:"path"`
	Type              string   `json:"type"`
	AllowedOrigins    []string `json:"allowed_origins,omitempty"`
	AllowedExtensions []string `json:"allowed_extensions,omitempty"`
}

// IsChromiumID reports whether id has the form of a Chromium extension id
// (32 letters a-p).
func IsChromiumID(id string) bool {
	return len(id) == 32 && allBytes(id, func(c byte) bool { return 'a' <= c && c <= 'p' })
}

// IsAddonID reports whether id has the form of a Firefox add-on id: an
// email-like name@domain or a GUID in braces.
func IsAddonID(id string) bool {
	if len(id) > 255 {
		return false
	}
	if strings.HasPrefix(id, "{") {
		return isBracedGUID(id)
	}
	name, domain, ok := strings.Cut(id, "@")
	return ok && domain != "" &&
		allBytes(name, func(c byte) bool { return isAlnum(c) || strings.IndexByte("._+-", c) >= 0 }) &&
		allBytes(domain, func(c byte) bool { return isAlnum(c) || strings.IndexByte("._-", c) >= 0 })
}

// isBracedGUID reports whether s is {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}
// in hex digits of either case.
func isBracedGUID(s string) bool {
	if len(s) != 38 || s[0] != '{' || s[37] != '}' {
		return false
	}
	for i := 1; i < 37; i++ {
		switch i {
		case 9, 14, 19, 24:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

// isHostName reports whether name is a valid native-messaging host name:
// lowercase letters, digits, underscores and single dots, no dot at either
// end (Chromium's rule, stricter than Firefox's).
func isHostName(name string) bool {
	for _, part := range strings.Split(name, ".") {
		if part == "" || !allBytes(part, func(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' }) {
			return false
		}
	}
	return true
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// ChromiumOrigin is the origin Chromium passes for an extension id.
func ChromiumOrigin(id string) string { return "chrome-extension://" + id + "/" }

// ErrUnknownExtensionID is returned for an id that is neither a Chromium
// extension id nor a Firefox add-on id.
var ErrUnknownExtensionID = errors.New("not a Chromium extension id (32 letters a-p) nor a Firefox add-on id (name@domain or {GUID})")

// SplitExtensionIDs sorts extension ids by family: Chromium ids (32 letters
// a-p) and Firefox add-on ids (name@domain or {GUID}). The result starts
// with our own ids and holds no duplicates.
func SplitExtensionIDs(extra []string) (chromium, firefox []string, err error) {
	chromium = []string{ExtensionID}
	firefox = []string{AddonID}
	for _, id := range extra {
		id = strings.TrimSpace(id)
		switch {
		case IsChromiumID(id):
			if !slices.Contains(chromium, id) {
				chromium = append(chromium, id)
			}
		case IsAddonID(id):
			if !slices.Contains(firefox, id) {
				firefox = append(firefox, id)
			}
		default:
			return nil, nil, fmt.Errorf("extension id %q: %w", id, ErrUnknownExtensionID)
		}
	}
	return chromium, firefox, nil
}

// NewManifest builds the manifest for family f that starts the host at
// hostPath and admits the given extensions: Chromium extension ids for
// Chromium, add-on ids for Firefox.
func NewManifest(f Family, hostPath string, ids []string) (Manifest, error) {
	m := Manifest{Name: HostName, Description: HostDescription, Path: hostPath, Type: "stdio"}
	switch f {
	case FamilyChromium:
		for _, id := range ids {
			if !IsChromiumID(id) {
				return Manifest{}, fmt.Errorf("manifest: %q is not a Chromium extension id", id)
			}
			m.AllowedOrigins = append(m.AllowedOrigins, ChromiumOrigin(id))
		}
	case FamilyFirefox:
		for _, id := range ids {
			if !IsAddonID(id) {
				return Manifest{}, fmt.Errorf("manifest: %q is not a Firefox add-on id", id)
			}
			m.AllowedExtensions = append(m.AllowedExtensions, id)
		}
	default:
		return Manifest{}, fmt.Errorf("manifest: unknown browser family %v", f)
	}
	if err := m.Validate(f); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// Marshal encodes the manifest as indented JSON ending in a newline; equal
// manifests give equal bytes.
func (m Manifest) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	return buf.Bytes(), nil
}

// ParseManifest decodes a manifest as a browser would: one JSON object;
// unknown fields are ignored.
func ParseManifest(data []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("manifest: not valid JSON: %w", err)
	}
	if dec.More() {
		return Manifest{}, errors.New("manifest: trailing data after the JSON object")
	}
	return m, nil
}

// Validate checks what the browsers of family f check when they read a
// manifest: a valid name, type "stdio", an absolute path (Windows also
// accepts one relative to the manifest), and a non-empty list of
// well-formed allowed callers without wildcards.
func (m Manifest) Validate(f Family) error {
	if !isHostName(m.Name) {
		return fmt.Errorf("manifest: invalid host name %q", m.Name)
	}
	if m.Type != "stdio" {
		return fmt.Errorf("manifest: type is %q, want \"stdio\"", m.Type)
	}
	if m.Path == "" {
		return errors.New("manifest: path is empty")
	}
	if !filepath.IsAbs(m.Path) && filepath.Separator == '/' {
		return fmt.Errorf("manifest: path %q is not absolute", m.Path)
	}
	switch f {
	case FamilyChromium:
		if len(m.AllowedOrigins) == 0 {
			return errors.New("manifest: allowed_origins is empty")
		}
		for _, o := range m.AllowedOrigins {
			id, ok := strings.CutPrefix(o, "chrome-extension://")
			id, slash := strings.CutSuffix(id, "/")
			if !ok || !slash || !IsChromiumID(id) {
				return fmt.Errorf("manifest: allowed origin %q is not chrome-extension://<id>/", o)
			}
		}
	case FamilyFirefox:
		if len(m.AllowedExtensions) == 0 {
			return errors.New("manifest: allowed_extensions is empty")
		}
		for _, id := range m.AllowedExtensions {
			if !IsAddonID(id) {
				return fmt.Errorf("manifest: allowed extension %q is not an add-on id", id)
			}
		}
	default:
		return fmt.Errorf("manifest: unknown browser family %v", f)
	}
	return nil
}

// Allows reports whether the manifest admits the extension with the given
// id: a Chromium extension id for Chromium, an add-on id for Firefox.
func (m Manifest) Allows(f Family, id string) bool {
	if f == FamilyFirefox {
		return slices.Contains(m.AllowedExtensions, id)
	}
	return slices.Contains(m.AllowedOrigins, ChromiumOrigin(id))
}
