package support

import (
	"regexp"
	"strings"
	"sync"
)

// Scrubber removes secrets from text bound for a bundle, and with
// MaskNumbers the personal data of phone numbers too. Secrets should
// never have reached what the bundle gathers (the log, the policy, the
// manifests); scrubbing again is the second line, for a library's debug
// line or an administrator's note that slipped through.
type Scrubber struct {
	// MaskNumbers masks phone numbers and the user parts of SIP URIs
	// (--redact-numbers).
	MaskNumbers bool
}

const redacted = "[redacted]"

// scrubPatterns are compiled at the first Scrub, not when the process
// starts: a package initialiser faults its code and data in for every
// process that links it (BENCHMARKS.md, the idle agent's memory).
var scrubPatterns struct {
	once sync.Once
	// secrets match a secret with what names it; the replacement keeps
	// the name so that a reader still sees what was there.
	secrets []secretPattern
	// Personal data: SIP/tel URIs' user parts, the values of members that
	// name a party, and anything that reads as a phone number (7 digits
	// or more, separators allowed); time protects timestamps from
	// longNumber.
	sipUser, partyMember, longNumber, time *regexp.Regexp
}

type secretPattern struct {
	re   *regexp.Regexp
	repl string
}

func compileScrubPatterns() {
	p := &scrubPatterns
	p.secrets = []secretPattern{
		// PEM private keys (a TLS or DTLS key pasted anywhere).
		{regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----`), "[redacted private key]"},
		// An unterminated one (a truncated line) loses all that follows.
		{regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*`), "[redacted private key]"},
		// SDES keys: a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:KEY|2^31|1:1
		{regexp.MustCompile(`(?i)(inline:)[^\s"',;\\]+`), "${1}" + redacted},
		// Digest responses and the whole credentials of an Authorization
		// header: the response with the nonce is a password guesser's
		// input.
		{regexp.MustCompile(`(?i)((?:proxy-)?authorization\s*[:=]\s*)(?:digest|basic|bearer)\b[^\r\n"]*`), "${1}" + redacted},
		// In a JSON string the quotes are escaped: response=\"...\".
		{regexp.MustCompile(`(?i)(response\s*=\s*)(?:\\?"[^"\\]*\\?"|[0-9a-f]+)`), "${1}" + redacted},
		{regexp.MustCompile(`(?i)(\bbearer\s+)[A-Za-z0-9._~+/-]+=*`), "${1}" + redacted},
		// JSON members and key=value pairs that name a secret.
		{regexp.MustCompile(`(?i)("(?:password|passwd|secret|token|accessToken|refreshToken|apiKey|authorization|masterKey|masterSalt|privateKey|srtpKey|keyingMaterial)"\s*:\s*)"(?:[^"\\]|\\.)*"`), `${1}"` + redacted + `"`},
		{regexp.MustCompile(`(?i)(\b(?:password|passwd|secret|token|access_token|api_key|apikey)\s*=\s*)[^\s&"',;]+`), "${1}" + redacted},
		// Signed URLs' query parameters.
		{regexp.MustCompile(`(?i)([?&](?:token|access_token|sig|signature|key|auth)=)[^&\s"']+`), "${1}" + redacted},
	}

	p.sipUser = regexp.MustCompile(`(?i)\b(sips?:|tel:)([^@\s"'<>;:]+)(@?)`)
	p.partyMember = regexp.MustCompile(`(?i)("(?:to|from|remote|user|username|authUsername|displayName|uri|target|number|aor|contact|callerId|caller|callee)"\s*:\s*)"(?:[^"\\]|\\.)*"`)
	p.longNumber = regexp.MustCompile(`\+?\d(?:[ \-()]?\d){6,}`)
	p.time = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[T ]\d{2}[:\-]\d{2}[:\-]\d{2}(?:\.\d+)?Z?`)
}

// Scrub returns text without its secrets (and numbers when asked).
func (s Scrubber) Scrub(text string) string {
	scrubPatterns.once.Do(compileScrubPatterns)
	for _, p := range scrubPatterns.secrets {
		text = p.re.ReplaceAllString(text, p.repl)
	}
	if !s.MaskNumbers {
		return text
	}
	sipUserRe := scrubPatterns.sipUser
	text = scrubPatterns.partyMember.ReplaceAllString(text, `${1}"`+redacted+`"`)
	text = sipUserRe.ReplaceAllStringFunc(text, func(m string) string {
		sub := sipUserRe.FindStringSubmatch(m)
		if sub[3] == "" && !strings.EqualFold(sub[1], "tel:") {
			return m // sip:host with no user part
		}
		return sub[1] + "x" + sub[3]
	})
	return maskLongNumbers(text)
}

// maskLongNumbers replaces every digit of a phone-number-like run with
// x, outside timestamps.
func maskLongNumbers(text string) string {
	times := scrubPatterns.time.FindAllStringIndex(text, -1)
	inTime := func(start, end int) bool {
		for _, t := range times {
			if start < t[1] && end > t[0] {
				return true
			}
		}
		return false
	}
	var b strings.Builder
	last := 0
	for _, m := range scrubPatterns.longNumber.FindAllStringIndex(text, -1) {
		if inTime(m[0], m[1]) {
			continue
		}
		b.WriteString(text[last:m[0]])
		for _, r := range text[m[0]:m[1]] {
			if r >= '0' && r <= '9' {
				b.WriteByte('x')
			} else {
				b.WriteRune(r)
			}
		}
		last = m[1]
	}
	b.WriteString(text[last:])
	return b.String()
}
