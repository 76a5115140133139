// Package policy decides which pages and extensions may talk to the agent:
// the administrator's policy (a file, or the registry on Windows) plus the
// user's own list of domains, unless the administrator forbids that.
package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
)

// Our extension, as each browser family names it. They are admitted when
// the administrator names no extensions.
const (
	ChromiumExtensionID = "ohcdnckkmmffiobblhcjgmealjgpgeen"
	FirefoxExtensionID  = "bpclient@openbpclient.org"
)

// DefaultExtensions are admitted unless the admin policy lists its own.
// Each call returns a fresh slice: a caller may change it freely.
func DefaultExtensions() []string {
	return []string{ChromiumExtensionID, FirefoxExtensionID}
}

// File is the JSON form of a policy file, admin's or user's.
type File struct {
	Domains               []string `json:"domains"`
	UsersCanManageDomains *bool    `json:"usersCanManageDomains,omitempty"`
	Extensions            []string `json:"extensions,omitempty"`
	// CAFile (a PEM file's path) and CAPEM (PEM text) name a CA that the
	// secure softphone trusts for the SIP server's TLS certificate beside
	// the system roots. Read from the admin policy only: a user cannot
	// widen what is trusted.
	CAFile string `json:"caFile,omitempty"`
	CAPEM  string `json:"caPem,omitempty"`
	// AllowRemoteTransfer lets the softphone follow a transfer the far
	// end asks for (REFER) at once, without asking the page: where the
	// PBX passes REFER through, whoever is on a call could otherwise make
	// the agent's account dial anywhere. Admin policy only.
	AllowRemoteTransfer bool `json:"allowRemoteTransfer,omitempty"`
	// SupportUploadURL is where `bpclient logs collect --upload` sends
	// the support bundle (an https URL). Admin policy only: a bundle
	// names the numbers called, and only the administrator decides
	// where it may go.
	SupportUploadURL string `json:"supportUploadUrl,omitempty"`
	// ScreenRecordingIndicator shows a notification while a screen
	// recording runs, so the agent knows. Admin policy only.
	ScreenRecordingIndicator bool `json:"screenRecordingIndicator,omitempty"`
	// ScreenMonitoringIndicator: the agent is shown a notification for
	// as long as a supervisor watches the screen live. Admin policy only.
	ScreenMonitoringIndicator bool `json:"screenMonitoringIndicator,omitempty"`
}

// Policy is the merged view the agent decides with.
type Policy struct {
	AdminDomains          []string
	UserDomains           []string
	UsersCanManageDomains bool
	Extensions            []string
	// CAFile and CAPEM: the admin policy's extra TLS trust (File).
	CAFile, CAPEM string
	// AllowRemoteTransfer: the admin policy's (File).
	AllowRemoteTransfer bool
	// SupportUploadURL: the admin policy's (File), when it is https.
	SupportUploadURL string
	// ScreenRecordingIndicator: the admin policy's (File).
	ScreenRecordingIndicator bool
	// ScreenMonitoringIndicator: the admin policy's (File).
	ScreenMonitoringIndicator bool
}

// Refusal says why a caller is refused, and whether the user may be asked.
type Refusal struct {
	Reason string // a reason of jsonrpc.CodeNotAllowed
	CanAsk bool
	Origin string
}

func (r *Refusal) Error() string {
	if r.Origin != "" {
		return fmt.Sprintf("%s: %s", r.Reason, r.Origin)
	}
	return r.Reason
}

// Message says the refusal in words, as the page shows it.
func (r *Refusal) Message() string {
	switch r.Reason {
	case jsonrpc.ReasonExtensionNotAllowed:
		return "this extension is not allowed to use BPClient"
	case jsonrpc.ReasonOriginNotHTTPS:
		return "pages must be served over https"
	case jsonrpc.ReasonOriginNotAllowed:
		host := r.Origin
		if u, err := url.Parse(r.Origin); err == nil {
			host = u.Hostname()
		}
		return host + " is not on the list of allowed domains"
	default:
		return "the page origin is not valid"
	}
}

// RPCError is the refusal as a client gets it, from the agent or from the
// host answering for it: CodeNotAllowed with data reason, canAsk and
// origin; message says it in words.
func (r *Refusal) RPCError(message string) *jsonrpc.Error {
	data := map[string]any{"reason": r.Reason, "canAsk": r.CanAsk}
	if r.Origin != "" {
		data["origin"] = r.Origin
	}
	return jsonrpc.Errorf(jsonrpc.CodeNotAllowed, "not allowed: %s", message).WithData(data)
}

// Domains is every domain a page may come from.
func (p *Policy) Domains() []string {
	out := slices.Clone(p.AdminDomains)
	if p.UsersCanManageDomains {
		for _, d := range p.UserDomains {
			if !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
	}
	return out
}

// CheckOrigin admits an https page origin whose host is on the list.
func (p *Policy) CheckOrigin(origin string) *Refusal {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return &Refusal{Reason: jsonrpc.ReasonOriginInvalid, Origin: origin}
	}
	if u.Scheme != "https" {
		return &Refusal{Reason: jsonrpc.ReasonOriginNotHTTPS, Origin: origin}
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	for _, d := range p.Domains() {
		if Match(d, host) {
			return nil
		}
	}
	return &Refusal{Reason: jsonrpc.ReasonOriginNotAllowed, CanAsk: p.UsersCanManageDomains, Origin: origin}
}

// CheckExtension admits the extensions in policy. id is a Chromium origin
// ("chrome-extension://<id>/"), a bare Chromium id or a Firefox add-on id.
func (p *Policy) CheckExtension(id string) *Refusal {
	bare := strings.TrimSuffix(strings.TrimPrefix(id, "chrome-extension://"), "/")
	if bare != "" && slices.Contains(p.Extensions, bare) {
		return nil
	}
	return &Refusal{Reason: jsonrpc.ReasonExtensionNotAllowed}
}

// Match reports whether host matches a list entry: an exact host name, or
// "*.domain" for any name below domain (not domain itself).
func Match(entry, host string) bool {
	entry = strings.ToLower(strings.TrimSuffix(entry, "."))
	if suffix, ok := strings.CutPrefix(entry, "*."); ok {
		return strings.HasSuffix(host, "."+suffix) && len(host) > len(suffix)+1
	}
	return entry == host
}

// NormalizeDomain checks a list entry the user or admin typed and returns
// its canonical form: lower case, no trailing dot, no scheme or port.
func NormalizeDomain(d string) (string, error) {
	orig := d
	d = strings.ToLower(strings.TrimSpace(d))
	if strings.Contains(d, "://") {
		u, err := url.Parse(d)
		if err != nil || u.Hostname() == "" {
			return "", fmt.Errorf("domain %q: not a host name", orig)
		}
		d = u.Hostname()
	}
	d = strings.TrimSuffix(d, ".")
	wild := strings.HasPrefix(d, "*.")
	name := strings.TrimPrefix(d, "*.")
	if name == "" || len(name) > 253 {
		return "", fmt.Errorf("domain %q: empty or too long", orig)
	}
	if ip := net.ParseIP(name); ip != nil {
		if wild {
			return "", fmt.Errorf("domain %q: a wildcard cannot stand before an IP address", orig)
		}
		return name, nil
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 {
			return "", fmt.Errorf("domain %q: bad label %q", orig, label)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", fmt.Errorf("domain %q: %q is not allowed in a host name", orig, c)
			}
		}
	}
	if wild && !strings.Contains(name, ".") {
		return "", fmt.Errorf("domain %q: a wildcard must cover a domain with at least two labels", orig)
	}
	return d, nil
}

// ReadFile reads a policy file; a missing file is an empty policy.
func ReadFile(path string) (*File, error) {
	var f File
	if path == "" {
		return &f, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("policy %s: %w", path, err)
	}
	return &f, nil
}

// WriteFile writes f atomically (temp file and rename), creating the dir.
func WriteFile(path string, f *File) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write policy: %w", err)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".policy-*.json")
	if err != nil {
		return fmt.Errorf("write policy: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write policy: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write policy: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write policy: %w", err)
	}
	return nil
}

// usersCanManageByDefault is what usersCanManageDomains is when the admin
// policy does not say. An admin who lists domains has said which sites are
// the Agent Desktop: a user's click in the popup must not add a lookalike
// to them. A policy that lists none (a home install, no admin at all)
// leaves the list to the user, or nothing could ever connect. Any entry
// counts, even one that does not parse: the admin meant to lock the list.
func usersCanManageByDefault(admin *File) bool { return len(admin.Domains) == 0 }

// Merge builds the effective policy from the admin's and the user's files.
// Invalid entries are dropped and returned as warnings, so that one typo
// does not lock everyone out.
func Merge(admin, user *File) (*Policy, []error) {
	var warns []error
	p := &Policy{UsersCanManageDomains: usersCanManageByDefault(admin), Extensions: DefaultExtensions()}
	if admin.UsersCanManageDomains != nil {
		p.UsersCanManageDomains = *admin.UsersCanManageDomains
	}
	if len(admin.Extensions) > 0 {
		p.Extensions = slices.Clone(admin.Extensions)
	}
	p.CAFile, p.CAPEM = admin.CAFile, admin.CAPEM
	p.AllowRemoteTransfer = admin.AllowRemoteTransfer
	p.ScreenRecordingIndicator = admin.ScreenRecordingIndicator
	p.ScreenMonitoringIndicator = admin.ScreenMonitoringIndicator
	if admin.SupportUploadURL != "" {
		if u, err := url.Parse(admin.SupportUploadURL); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
			warns = append(warns, fmt.Errorf("admin policy: supportUploadUrl %q: want an https URL without credentials", admin.SupportUploadURL))
		} else {
			p.SupportUploadURL = u.String()
		}
	}
	clean := func(list []string, who string) []string {
		var out []string
		for _, d := range list {
			n, err := NormalizeDomain(d)
			if err != nil {
				warns = append(warns, fmt.Errorf("%s policy: %w", who, err))
				continue
			}
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
		return out
	}
	p.AdminDomains = clean(admin.Domains, "admin")
	p.UserDomains = clean(user.Domains, "user")
	return p, warns
}
