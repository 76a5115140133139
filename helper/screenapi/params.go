package screenapi

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/screen/record"
	"github.com/openbpclient/bpclient/screen/spool"
)

// Bounds of screen.record.start beyond fps (record.MinFPS–MaxFPS).
const (
	minMaxWidth       = 160
	maxMaxWidth       = 7680
	minSegmentSeconds = 2
	maxSegmentSeconds = 300
	maxHeaders        = 32
	maxHeaderBytes    = 8 << 10 // all names and values together
)

// recordingIDPattern: the id comes back in events and logs; it never
// becomes a path (the spool hashes it). Compiled at first use, not when
// the process starts (its 128 repeats take 118 KB).
var recordingIDPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`) })

// reservedHeaders are the spool's own, or the transport's.
var reservedHeaders = sync.OnceValue(func() map[string]bool {
	return map[string]bool{"Content-Type": true, "Content-Length": true, "Host": true, "Transfer-Encoding": true,
		"Connection": true, "Expect": true, spool.HeaderRecordingID: true, spool.HeaderSegment: true}
})

type startParams struct {
	RecordingID    string            `json:"recordingId"`
	UploadURL      string            `json:"uploadUrl"`
	UploadMethod   string            `json:"uploadMethod"`
	Headers        map[string]string `json:"headers"`
	FPS            int               `json:"fps"`
	MaxWidth       int               `json:"maxWidth"`
	Screens        string            `json:"screens"`
	SegmentSeconds int               `json:"segmentSeconds"`
}

func screenErr(reason, format string, args ...any) *jsonrpc.Error {
	return jsonrpc.Errorf(jsonrpc.CodeScreen, format, args...).WithData(map[string]string{"reason": reason})
}

func badParams(format string, args ...any) *jsonrpc.Error {
	return screenErr(jsonrpc.ReasonBadParams, "bad params: "+format, args...)
}

// parseStart checks screen.record.start's params and applies the
// defaults; the URL's allow-list check is the caller's.
func parseStart(raw json.RawMessage) (*startParams, *jsonrpc.Error) {
	var p startParams
	if err := jsonrpc.UnmarshalParams(raw, &p); err != nil {
		return nil, badParams("%s", err.Message)
	}
	if !recordingIDPattern().MatchString(p.RecordingID) {
		return nil, badParams("recordingId: 1 to 128 of A-Z a-z 0-9 _ . : -")
	}
	if p.FPS == 0 {
		p.FPS = record.DefaultFPS
	}
	if p.FPS < record.MinFPS || p.FPS > record.MaxFPS {
		return nil, badParams("fps %d: want %d to %d", p.FPS, record.MinFPS, record.MaxFPS)
	}
	if p.MaxWidth == 0 {
		p.MaxWidth = record.DefaultMaxWidth
	}
	if p.MaxWidth < minMaxWidth || p.MaxWidth > maxMaxWidth {
		return nil, badParams("maxWidth %d: want %d to %d", p.MaxWidth, minMaxWidth, maxMaxWidth)
	}
	if p.SegmentSeconds == 0 {
		p.SegmentSeconds = record.DefaultSegmentSeconds
	}
	if p.SegmentSeconds < minSegmentSeconds || p.SegmentSeconds > maxSegmentSeconds {
		return nil, badParams("segmentSeconds %d: want %d to %d", p.SegmentSeconds, minSegmentSeconds, maxSegmentSeconds)
	}
	switch p.Screens {
	case "":
		p.Screens = "all"
	case "all", "primary":
	default:
		return nil, badParams("screens %q: want all or primary", truncate(p.Screens))
	}
	switch strings.ToUpper(p.UploadMethod) {
	case "", "POST":
		p.UploadMethod = http.MethodPost
	case "PUT":
		p.UploadMethod = http.MethodPut
	default:
		return nil, badParams("uploadMethod %q: want POST or PUT", truncate(p.UploadMethod))
	}
	if err := checkHeaders(p.Headers); err != nil {
		return nil, err
	}
	return &p, nil
}

// checkHeaders admits header names of RFC 9110 token characters and
// values without control characters; never says a value back.
func checkHeaders(h map[string]string) *jsonrpc.Error {
	if len(h) > maxHeaders {
		return badParams("headers: at most %d", maxHeaders)
	}
	total := 0
	for name, value := range h {
		total += len(name) + len(value)
		if !isToken(name) {
			return badParams("headers: %q is not a header name", truncate(name))
		}
		if reservedHeaders()[http.CanonicalHeaderKey(name)] {
			return badParams("headers: %s is set by the agent", http.CanonicalHeaderKey(name))
		}
		if strings.ContainsFunc(value, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
			return badParams("headers: the value of %s holds a control character", http.CanonicalHeaderKey(name))
		}
	}
	if total > maxHeaderBytes {
		return badParams("headers: at most %d bytes", maxHeaderBytes)
	}
	return nil
}

func isToken(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
