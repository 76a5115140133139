package popupapi

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/openbpclient/bpclient/desktop/notify"
)

// FuzzParseShow: whatever popup.show's params, an accepted pop-up keeps
// within the caps, has plain one-line labels, "default" once and first,
// and an icon that is one of the built-in theme names.
func FuzzParseShow(f *testing.F) {
	for _, s := range []string{
		`{"title":"Incoming call","body":"From 1001","actions":[{"id":"answer","label":"Answer"}],"timeoutSeconds":30,"urgency":"critical","icon":"call"}`,
		`{"title":"<b>x</b>","icon":"/etc/passwd"}`,
		`{"title":"x","actions":[{"id":"a","label":"A\nB"},{"id":"a","label":"again"}]}`,
		`{"title":"x","timeoutSeconds":1e308}`,
		`[]`, `null`, `{"title":5}`,
	} {
		f.Add([]byte(s))
	}
	icons := map[string]bool{"": true}
	for _, v := range builtinIcons {
		icons[v.theme] = true
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, jerr := parseShow(raw)
		if jerr != nil {
			return
		}
		n := req.note
		if n.Title == "" || utf8.RuneCountInString(n.Title) > maxTitle+1 || utf8.RuneCountInString(n.Body) > maxBody+1 {
			t.Fatalf("text beyond the caps: %q / %q", n.Title, n.Body)
		}
		if len(n.Actions) == 0 || n.Actions[0].ID != notify.DefaultAction || len(n.Actions) > maxActions+1 {
			t.Fatalf("actions %+v", n.Actions)
		}
		for _, a := range n.Actions[1:] {
			if a.ID == notify.DefaultAction || a.Label == "" || strings.Contains(a.Label, "\n") || utf8.RuneCountInString(a.Label) > maxLabel+1 {
				t.Fatalf("action %+v", a)
			}
		}
		if !icons[n.Icon] || len(req.tag) > maxTag {
			t.Fatalf("icon %q, tag %q", n.Icon, req.tag)
		}
		if n.Timeout == 0 || n.Timeout > maxTimeoutSec*1e9 {
			t.Fatalf("timeout %v", n.Timeout)
		}
	})
}
