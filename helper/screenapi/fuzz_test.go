package screenapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/screen/record"
)

// FuzzParseStart: whatever a page sends, accepted params are within
// their bounds, and no header can smuggle another line or take one of
// the agent's.
func FuzzParseStart(f *testing.F) {
	f.Add(`{"recordingId":"a","uploadUrl":"https://x/","fps":2}`)
	f.Add(`{"recordingId":"a","headers":{"Authorization":"Bearer t"},"maxWidth":1280,"segmentSeconds":5,"screens":"primary"}`)
	f.Add(`{"recordingId":"a","headers":{"X":"a\r\nB: c"}}`)
	f.Add(`{"recordingId":"a","fps":1e9,"uploadMethod":"put"}`)
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := parseStart([]byte(raw))
		if err != nil {
			return
		}
		if p.FPS < record.MinFPS || p.FPS > record.MaxFPS || p.MaxWidth < minMaxWidth || p.MaxWidth > maxMaxWidth ||
			p.SegmentSeconds < minSegmentSeconds || p.SegmentSeconds > maxSegmentSeconds ||
			(p.Screens != "all" && p.Screens != "primary") || (p.UploadMethod != "POST" && p.UploadMethod != "PUT") ||
			!recordingIDPattern().MatchString(p.RecordingID) {
			t.Fatalf("accepted %+v", p)
		}
		for k, v := range p.Headers {
			if reservedHeaders()[http.CanonicalHeaderKey(k)] || strings.ContainsAny(k+v, "\r\n\x00") || !isToken(k) {
				t.Fatalf("accepted header %q: %q", k, v)
			}
		}
	})
}
