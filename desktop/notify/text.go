package notify

import (
	"strings"
	"sync"
	"unicode"
)

// markupEscaper escapes what the freedesktop body markup (a small XML
// subset) would read as a tag or an entity. Made at its first use, not
// by the package's initialiser in every process that links the package
// (BENCHMARKS.md, the idle agent's memory).
var markupEscaper struct {
	once sync.Once
	r    *strings.Replacer
}

// EscapeMarkup makes plain text show as itself on a server that renders
// markup.
func EscapeMarkup(s string) string {
	markupEscaper.once.Do(func() {
		markupEscaper.r = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")
	})
	return markupEscaper.r.Replace(s)
}

// PlainText cleans text from a page for a notification: control
// characters other than newline become spaces, invalid UTF-8 is replaced,
// and it is cut to at most max runes (with an ellipsis), so that a page
// can neither fill the screen nor hide text behind control codes.
func PlainText(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == max {
			b.WriteRune('…')
			break
		}
		switch {
		case r == '\n':
		case r == '\t', unicode.IsControl(r), r == '\u2028', r == '\u2029':
			r = ' '
		case unicode.Is(unicode.Cf, r) && r != '\u200d':
			// Format characters (bidi overrides) could make the text read
			// otherwise than it is; the zero-width joiner keeps emoji whole.
			continue
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
