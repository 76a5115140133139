package doctor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// chromePolicy is what our checks need of a Chromium-family browser's
// mandatory policies, merged from every source it reads.
//
// Names and meanings are those of the Chrome Enterprise policy list
// (chromeenterprise.google/policies) and Microsoft's "Microsoft Edge -
// Policies" pages:
//   - NativeMessagingBlocklist: hosts that must not be loaded; "*" denies
//     every host not in NativeMessagingAllowlist.
//   - NativeMessagingAllowlist: hosts not subject to the blocklist.
//   - NativeMessagingUserLevelHosts: false means only hosts installed at
//     system level are used; per-user manifests (ours) are ignored
//     without a word to the extension.
//   - ExtensionInstallBlocklist: extensions users cannot install; blocked
//     ones already installed are disabled; "*" blocks every extension not
//     in ExtensionInstallAllowlist (or force-installed by
//     ExtensionInstallForcelist, "id;update_url").
//   - ExtensionSettings: id (or "*") to settings; installation_mode
//     "blocked" or "removed" keeps the extension out, and it overrides
//     the legacy lists where both speak of the extension.
//
// The names before Chrome 86 (NativeMessagingBlacklist/Whitelist,
// ExtensionInstallBlacklist/Whitelist) are still honoured and read too.
type chromePolicy struct {
	nmBlock, nmAllow             []string
	userLevelHostsOff            bool
	extBlock, extAllow, extForce []string
	// extSettings maps an extension id or "*" to its installation_mode
	// ("" when the entry has none).
	extSettings map[string]string
}

var errNotObject = errors.New("not a JSON object")

// parseChromePolicy reads one source's policies: a JSON object of policy
// names to values, as in a Linux managed policy file, or as converted from
// a macOS plist. ExtensionSettings may be an object or (as Windows'
// registry holds it) a string of JSON. Values of the wrong type are
// ignored, as Chrome ignores them.
func parseChromePolicy(data []byte) (chromePolicy, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), &raw); err != nil {
		return chromePolicy{}, fmt.Errorf("policy: %w", err)
	}
	if raw == nil {
		return chromePolicy{}, fmt.Errorf("policy: %w", errNotObject)
	}
	var p chromePolicy
	p.nmBlock = stringList(raw, "NativeMessagingBlocklist", "NativeMessagingBlacklist")
	p.nmAllow = stringList(raw, "NativeMessagingAllowlist", "NativeMessagingWhitelist")
	p.extBlock = stringList(raw, "ExtensionInstallBlocklist", "ExtensionInstallBlacklist")
	p.extAllow = stringList(raw, "ExtensionInstallAllowlist", "ExtensionInstallWhitelist")
	p.extForce = stringList(raw, "ExtensionInstallForcelist")
	var on bool
	if v, ok := raw["NativeMessagingUserLevelHosts"]; ok && json.Unmarshal(v, &on) == nil && !on {
		p.userLevelHostsOff = true
	}
	if v, ok := raw["ExtensionSettings"]; ok {
		p.extSettings = extensionSettings(v)
	}
	return p, nil
}

// stringList reads the first of names that is a list of strings; entries
// that are not strings are skipped.
func stringList(raw map[string]json.RawMessage, names ...string) []string {
	var out []string
	for _, n := range names {
		v, ok := raw[n]
		if !ok {
			continue
		}
		var items []json.RawMessage
		if json.Unmarshal(v, &items) != nil {
			continue
		}
		for _, it := range items {
			var s string
			if json.Unmarshal(it, &s) == nil {
				out = append(out, strings.TrimSpace(s))
			}
		}
	}
	return out
}

// extensionSettings reads ExtensionSettings: an object, or a string
// holding one.
func extensionSettings(v json.RawMessage) map[string]string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		v = json.RawMessage(s)
	}
	var entries map[string]json.RawMessage
	if json.Unmarshal(v, &entries) != nil {
		return nil
	}
	out := make(map[string]string, len(entries))
	for id, e := range entries {
		var fields struct {
			Mode any `json:"installation_mode"`
		}
		if json.Unmarshal(e, &fields) != nil {
			continue
		}
		mode, _ := fields.Mode.(string)
		out[id] = mode
	}
	return out
}

// merge adds q's policies to p. Where sources disagree the stricter wins:
// lists are joined, and one source turning user-level hosts off is
// enough. Chrome gives machine policy precedence over user policy; both
// are read, so a block in either is reported.
func (p *chromePolicy) merge(q chromePolicy) {
	p.nmBlock = append(p.nmBlock, q.nmBlock...)
	p.nmAllow = append(p.nmAllow, q.nmAllow...)
	p.extBlock = append(p.extBlock, q.extBlock...)
	p.extAllow = append(p.extAllow, q.extAllow...)
	p.extForce = append(p.extForce, q.extForce...)
	p.userLevelHostsOff = p.userLevelHostsOff || q.userLevelHostsOff
	for id, mode := range q.extSettings {
		if p.extSettings == nil {
			p.extSettings = map[string]string{}
		}
		if old, ok := p.extSettings[id]; !ok || blocksMode(mode) || old == "" {
			p.extSettings[id] = mode
		}
	}
}

func blocksMode(mode string) bool { return mode == "blocked" || mode == "removed" }

// hostBlocked reports whether the policy keeps host from being loaded.
func (p chromePolicy) hostBlocked(host string) bool {
	listed := slices.Contains(p.nmBlock, "*") || slices.Contains(p.nmBlock, host)
	return listed && !slices.Contains(p.nmAllow, host)
}

// extensionBlocked reports whether the policy keeps extension id out, and
// which policy says so.
func (p chromePolicy) extensionBlocked(id string) (bool, string) {
	if mode, ok := p.extSettings[id]; ok && mode != "" {
		return blocksMode(mode), "ExtensionSettings"
	}
	forced := slices.ContainsFunc(p.extForce, func(e string) bool {
		fid, _, _ := strings.Cut(e, ";")
		return strings.TrimSpace(fid) == id
	})
	listed := slices.Contains(p.extBlock, "*") || slices.Contains(p.extBlock, id)
	if listed && !forced && !slices.Contains(p.extAllow, id) {
		return true, "ExtensionInstallBlocklist"
	}
	if !listed && !forced && !slices.Contains(p.extAllow, id) && blocksMode(p.extSettings["*"]) {
		return true, "ExtensionSettings"
	}
	return false, ""
}
