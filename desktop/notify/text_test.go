package notify

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPlainText(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{"From 1001", 100, "From 1001"},
		{"a\tb\x1b[31mc\x00", 100, "a b [31mc "},
		{"line1\nline2", 100, "line1\nline2"},
		{"evil\u202egnp.exe", 100, "evilgnp.exe"},
		{"abcdef", 4, "abcd…"},
		{"\xff", 100, "\uFFFD"},
	} {
		if got := PlainText(tt.in, tt.max); got != tt.want {
			t.Errorf("PlainText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestEscapeMarkup(t *testing.T) {
	if got, want := EscapeMarkup(`<b>x</b> & "y" 'z'`), "&lt;b&gt;x&lt;/b&gt; &amp; &quot;y&quot; &#39;z&#39;"; got != want {
		t.Errorf("EscapeMarkup = %q, want %q", got, want)
	}
}

// FuzzPageText: whatever a page sends, the text for the server is valid
// UTF-8 within the cap, holds no control character but newline, and once
// escaped holds no markup delimiter.
func FuzzPageText(f *testing.F) {
	for _, s := range []string{"Incoming call", "<b>x</b>&amp;", "\x1b]0;t\x07", "\u202e\u200d👍", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := PlainText(s, 100)
		if !utf8.ValidString(p) || utf8.RuneCountInString(p) > 101 {
			t.Fatalf("PlainText(%q) = %q", s, p)
		}
		for _, r := range p {
			if r != '\n' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u202e') {
				t.Fatalf("PlainText(%q) keeps %U", s, r)
			}
		}
		if e := EscapeMarkup(p); strings.ContainsAny(e, `<>"'`) {
			t.Fatalf("EscapeMarkup(%q) = %q", p, e)
		}
	})
}
