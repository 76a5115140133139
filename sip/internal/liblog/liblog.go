// Package liblog routes the logs of the libraries the phone is built on
// (sipgo logs through log/slog, pion through pion/logging) into the
// phone's zerolog logger, so that their warnings and errors reach
// BPClient.log. What they log can hold whole SIP messages and SDP: every
// message and attribute goes through Redact first, so that no password,
// digest response or key is written.
package liblog

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"

	"github.com/pion/logging"
	"github.com/rs/zerolog"
)

// redacted replaces what looked like a secret.
const redacted = "[redacted]"

// patterns are compiled at the first Redact, not when the process starts:
// a package initialiser faults its code and data in for every process
// that links it (BENCHMARKS.md, the idle agent's memory).
var patterns struct {
	once                                                                      sync.Once
	authHeader, digestResponse, inlineKey, icePassword, pemBlock, namedSecret *regexp.Regexp
}

func compilePatterns() {
	// An Authorization or Proxy-Authorization header's value, to the end
	// of its line: the digest response, and for Basic the password.
	patterns.authHeader = regexp.MustCompile(`(?i)((?:proxy-)?authorization\s*:)[^\r\n]*`)
	// A digest response parameter outside its header (a header folded or
	// quoted on its own).
	patterns.digestResponse = regexp.MustCompile(`(?i)(\bresponse\s*=\s*)("[^"]*"|[^\s,]+)`)
	// The key of an SDES a=crypto line (RFC 4568 key-params).
	patterns.inlineKey = regexp.MustCompile(`(?i)(inline:)[^\s"\\]+`)
	// An ICE password: an SDP's a=ice-pwd (RFC 8839), and pion ICE's
	// "remotePwd: \"...\"" when its agent starts. A credential.
	patterns.icePassword = regexp.MustCompile(`(?i)(\b[\w-]*pwd"?\s*[:=]\s*)("[^"]*"|[^\s"\\,;]+)`)
	// A PEM block (a certificate's private key), whole.
	patterns.pemBlock = regexp.MustCompile(`(?s)-----BEGIN [A-Z0-9 ]+-----.*?(?:-----END [A-Z0-9 ]+-----|$)`)
	// Named secrets written as name=value or name: value, e.g. in a
	// printed struct or a URL.
	patterns.namedSecret = regexp.MustCompile(`(?i)((?:password|passwd|secret|master_?key|master_?salt)"?\s*[=:]\s*)(\[[^\]]*\]|"[^"]*"|[^\s,;&}]+)`)
}

// Redact returns s with what looks like a secret replaced: the value of
// an Authorization header, a digest response, an a=crypto inline key, an
// ICE password, a PEM block, a password, a secret, an SRTP master key or salt. It errs on the side of
// taking out too much.
func Redact(s string) string {
	patterns.once.Do(compilePatterns)
	p := &patterns
	// A PEM block first: the other patterns could take its first line
	// and leave the key's body behind.
	s = p.pemBlock.ReplaceAllString(s, redacted)
	s = p.authHeader.ReplaceAllString(s, "${1} "+redacted)
	s = p.digestResponse.ReplaceAllString(s, `${1}"`+redacted+`"`)
	s = p.inlineKey.ReplaceAllString(s, "${1}"+redacted)
	s = p.icePassword.ReplaceAllString(s, "${1}"+redacted)
	return p.namedSecret.ReplaceAllString(s, "${1}"+redacted)
}

// secretKey reports whether an attribute's name says its value is a
// secret, whatever the value looks like.
func secretKey(key string) bool {
	k := strings.ToLower(key)
	for _, s := range []string{"password", "passwd", "secret", "authorization", "response", "credential", "token", "key"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// field is one attribute as it is written: its name and its value with
// secrets taken out.
func field(key, value string) (string, string) {
	if secretKey(key) {
		return key, redacted
	}
	return key, Redact(value)
}

// Sipgo is the slog.Logger to give sipgo: its warnings and errors go to
// log with lib=sipgo, the chatty ones (sipgoChatty) at debug level; its
// debug and info records are dropped before they are formatted.
func Sipgo(log zerolog.Logger) *slog.Logger {
	return slog.New(&handler{log: log.With().Str("lib", "sipgo").Logger(), chatty: sipgoChatty})
}

// sipgoChatty says which of sipgo's warnings and errors come as often as
// the network sends them (a stranger's junk, a request we do not serve, a
// retransmission): they are debug, not warnings, in our log.
func sipgoChatty(msg string) bool {
	for _, p := range []string{
		"failed to parse",
		"SIP request handler not found",
		"connection pool not clean cleanup",
		"client transport error detected",
		"unsupported message, skip it",
	} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// handler is a slog.Handler writing onto a zerolog logger.
type handler struct {
	log    zerolog.Logger
	chatty func(msg string) bool
	attrs  []slog.Attr // from WithAttrs, keys already qualified
	group  string      // from WithGroup: the prefix of later keys
}

func (h *handler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelWarn && h.log.GetLevel() < zerolog.Disabled
}

func (h *handler) Handle(_ context.Context, r slog.Record) error {
	level := zerolog.WarnLevel
	switch {
	case h.chatty != nil && h.chatty(r.Message):
		level = zerolog.DebugLevel
	case r.Level >= slog.LevelError:
		level = zerolog.ErrorLevel
	case r.Level < slog.LevelWarn:
		return nil
	}
	ev := h.log.WithLevel(level)
	if !ev.Enabled() {
		return nil
	}
	for _, a := range h.attrs {
		addAttr(ev, "", a)
	}
	r.Attrs(func(a slog.Attr) bool {
		addAttr(ev, h.group, a)
		return true
	})
	ev.Msg(Redact(r.Message))
	return nil
}

// addAttr writes a (a group as its members, keys joined with dots).
func addAttr(ev *zerolog.Event, prefix string, a slog.Attr) {
	v := a.Value.Resolve()
	key := a.Key
	if prefix != "" {
		key = prefix + "." + key
	}
	if v.Kind() == slog.KindGroup {
		if a.Key == "" {
			key = prefix
		}
		for _, m := range v.Group() {
			addAttr(ev, key, m)
		}
		return
	}
	if a.Key == "" {
		return
	}
	ev.Str(field(key, v.String()))
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := *h
	n.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range attrs {
		if h.group != "" {
			a.Key = h.group + "." + a.Key
		}
		n.attrs = append(n.attrs, a)
	}
	return &n
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	n := *h
	if h.group != "" {
		name = h.group + "." + name
	}
	n.group = name
	return &n
}

// Pion is the logging.LoggerFactory to give pion (dtls): each scope's
// logger writes to log with lib=pion and scope. Pion's own errors and
// warnings keep their level; its debug lines (discarded records, failed
// decryption) and info are debug; its trace (every record and flight) is
// dropped.
func Pion(log zerolog.Logger) logging.LoggerFactory {
	return pionFactory{log: log.With().Str("lib", "pion").Logger()}
}

type pionFactory struct{ log zerolog.Logger }

func (f pionFactory) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{log: f.log.With().Str("scope", scope).Logger()}
}

type pionLogger struct{ log zerolog.Logger }

func (l pionLogger) write(ev *zerolog.Event, msg string) {
	if ev.Enabled() {
		ev.Msg(Redact(msg))
	}
}

func (l pionLogger) writef(ev *zerolog.Event, format string, args ...any) {
	if ev.Enabled() {
		ev.Msg(Redact(fmt.Sprintf(format, args...)))
	}
}

func (pionLogger) Trace(string)          {}
func (pionLogger) Tracef(string, ...any) {}

func (l pionLogger) Debug(msg string)                  { l.write(l.log.Debug(), msg) }
func (l pionLogger) Debugf(format string, args ...any) { l.writef(l.log.Debug(), format, args...) }
func (l pionLogger) Info(msg string)                   { l.write(l.log.Debug(), msg) }
func (l pionLogger) Infof(format string, args ...any)  { l.writef(l.log.Debug(), format, args...) }
func (l pionLogger) Warn(msg string)                   { l.write(l.log.Warn(), msg) }
func (l pionLogger) Warnf(format string, args ...any)  { l.writef(l.log.Warn(), format, args...) }
func (l pionLogger) Error(msg string)                  { l.write(l.log.Error(), msg) }
func (l pionLogger) Errorf(format string, args ...any) { l.writef(l.log.Error(), format, args...) }
