package doctor

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/bits"
	"strings"
)

// chromiumExtState is what a Chromium profile's preferences say of one
// extension.
type chromiumExtState struct {
	installed bool
	disabled  bool
	// reasons are Chromium's disable reasons (extensions/browser/
	// disable_reason.h): 1 is the user's own action, 4 a permissions
	// increase awaiting approval.
	reasons []int
}

// chromiumExtension reads extensions.settings.<id> from a Preferences or
// Secure Preferences file. Chromium writes disable_reasons as a list of
// reasons (Chromium 156 does: "disable_reasons": [1]); older versions
// wrote a bit mask and a "state" of 0 (disabled) or 1.
func chromiumExtension(data []byte, id string) (chromiumExtState, error) {
	var prefs struct {
		Extensions struct {
			Settings map[string]json.RawMessage `json:"settings"`
		} `json:"extensions"`
	}
	if err := json.Unmarshal(data, &prefs); err != nil {
		return chromiumExtState{}, fmt.Errorf("preferences: %w", err)
	}
	raw, ok := prefs.Extensions.Settings[id]
	if !ok {
		return chromiumExtState{}, nil
	}
	var s struct {
		State          *int            `json:"state"`
		DisableReasons json.RawMessage `json:"disable_reasons"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return chromiumExtState{}, fmt.Errorf("preferences: extension %s: %w", id, err)
	}
	st := chromiumExtState{installed: true}
	var list []int
	var mask uint64
	switch {
	case len(s.DisableReasons) == 0:
	case json.Unmarshal(s.DisableReasons, &list) == nil:
		st.reasons = list
	case json.Unmarshal(s.DisableReasons, &mask) == nil:
		for mask != 0 {
			b := bits.TrailingZeros64(mask)
			st.reasons = append(st.reasons, 1<<b)
			mask &^= 1 << b
		}
	}
	st.disabled = len(st.reasons) > 0 || s.State != nil && *s.State == 0
	return st, nil
}

// firefoxAddonState is what a Firefox profile's extensions.json says of
// one add-on.
type firefoxAddonState struct {
	installed, active, userDisabled, appDisabled bool
}

// firefoxAddon reads the add-on id from extensions.json:
// {"addons": [{"id", "active", "userDisabled", "appDisabled"}]}.
func firefoxAddon(data []byte, id string) (firefoxAddonState, error) {
	var doc struct {
		Addons []struct {
			ID           string `json:"id"`
			Active       bool   `json:"active"`
			UserDisabled bool   `json:"userDisabled"`
			AppDisabled  bool   `json:"appDisabled"`
		} `json:"addons"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return firefoxAddonState{}, fmt.Errorf("extensions.json: %w", err)
	}
	for _, a := range doc.Addons {
		if a.ID == id {
			return firefoxAddonState{installed: true, active: a.Active, userDisabled: a.UserDisabled, appDisabled: a.AppDisabled}, nil
		}
	}
	return firefoxAddonState{}, nil
}

// iniProfile is one [ProfileN] section of profiles.ini.
type iniProfile struct {
	path     string // as written: relative to the ini's folder when relative
	relative bool
}

// parseProfilesINI reads Firefox's profiles.ini: sections [Profile0],
// [Profile1]... with Path= and IsRelative=1|0. Other sections ([General],
// [Install...]) are skipped. Hand-written: the file is a few lines of
// key=value and no INI library in use here reads it with less code.
func parseProfilesINI(data []byte) []iniProfile {
	var out []iniProfile
	var cur *iniProfile
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == ';' || line[0] == '#':
		case line[0] == '[':
			cur = nil
			if strings.HasPrefix(line, "[Profile") {
				out = append(out, iniProfile{relative: true})
				cur = &out[len(out)-1]
			}
		case cur != nil:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			switch strings.TrimSpace(k) {
			case "Path":
				cur.path = strings.TrimSpace(v)
			case "IsRelative":
				cur.relative = strings.TrimSpace(v) != "0"
			}
		}
	}
	kept := out[:0]
	for _, p := range out {
		if p.path != "" {
			kept = append(kept, p)
		}
	}
	return kept
}
