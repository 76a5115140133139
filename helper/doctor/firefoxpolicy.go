package doctor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// firefoxPolicy is what our checks need of Firefox's enterprise
// policies (policies.json, or the registry's GPO keys on Windows).
//
// From Mozilla's policy templates (github.com/mozilla/policy-templates,
// now the Firefox administrator reference):
//   - ExtensionSettings maps an add-on id or "*" to settings;
//     installation_mode "blocked" blocks the add-on and removes it if
//     installed. The specific id's entry wins over "*".
//   - Extensions.Uninstall lists add-on ids Firefox removes.
//
// Firefox has no policy on native messaging hosts themselves.
type firefoxPolicy struct {
	extSettings map[string]string
	uninstall   []string
}

// parseFirefoxPolicy reads a policies.json: {"policies": {...}}.
func parseFirefoxPolicy(data []byte) (firefoxPolicy, error) {
	var doc struct {
		Policies map[string]json.RawMessage `json:"policies"`
	}
	if err := json.Unmarshal(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), &doc); err != nil {
		return firefoxPolicy{}, fmt.Errorf("policies.json: %w", err)
	}
	return firefoxPolicyOf(doc.Policies), nil
}

// firefoxPolicyOf reads the policies object (or the registry's values
// as such an object).
func firefoxPolicyOf(pols map[string]json.RawMessage) firefoxPolicy {
	var p firefoxPolicy
	if v, ok := pols["ExtensionSettings"]; ok {
		p.extSettings = extensionSettings(v)
	}
	if v, ok := pols["Extensions"]; ok {
		var ext map[string]json.RawMessage
		if json.Unmarshal(v, &ext) == nil {
			p.uninstall = stringList(ext, "Uninstall")
		}
	}
	return p
}

func (p *firefoxPolicy) merge(q firefoxPolicy) {
	p.uninstall = append(p.uninstall, q.uninstall...)
	for id, mode := range q.extSettings {
		if p.extSettings == nil {
			p.extSettings = map[string]string{}
		}
		if old, ok := p.extSettings[id]; !ok || blocksMode(mode) || old == "" {
			p.extSettings[id] = mode
		}
	}
}

// addonBlocked reports whether the policy keeps add-on id out, and which
// policy says so.
func (p firefoxPolicy) addonBlocked(id string) (bool, string) {
	if slices.Contains(p.uninstall, id) {
		return true, "Extensions.Uninstall"
	}
	if mode, ok := p.extSettings[id]; ok && mode != "" {
		return blocksMode(mode), "ExtensionSettings"
	}
	if blocksMode(p.extSettings["*"]) {
		return true, "ExtensionSettings"
	}
	return false, ""
}
