package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/openbpclient/bpclient/version"
)

// relayLogTail is how much of BPClient.log's end the host version check
// reads: the relay's line is written at each connection, so the last one
// is near the end unless a call's debug lines followed it for hours.
const relayLogTail = 1 << 20

// relayIdentified is what the check reads of the agent's "relay
// identified" line (helper/agent: relay.identify).
type relayIdentified struct {
	Message     string `json:"message"`
	Time        string `json:"time"`
	Browser     string `json:"browser"`
	HostVersion string `json:"hostVersion"`
}

// LastRelay finds the last "relay identified" line in log (BPClient.log's
// JSON lines, oldest first): the bpclient-host that connected last and
// its version. ok is false when none is there.
func LastRelay(log []byte) (browser, hostVersion, at string, ok bool) {
	marker := []byte(`"relay identified"`)
	for len(log) > 0 {
		i := bytes.LastIndexByte(log[:len(log)-1], '\n')
		line := log[i+1:]
		log = log[:i+1]
		if bytes.Contains(line, marker) {
			var l relayIdentified
			if json.Unmarshal(line, &l) == nil && l.Message == "relay identified" && l.HostVersion != "" {
				return l.Browser, l.HostVersion, l.Time, true
			}
		}
		if i < 0 {
			break
		}
	}
	return "", "", "", false
}

// HostVersionCheck compares the version of the bpclient-host that
// connected last, as BPClient.log at logFile has it, with the agent's: a
// host older than the agent (an update that replaced one and not the
// other) warns.
func HostVersionCheck(logFile string) Check {
	return func(ctx context.Context, view View) []Result {
		res := Result{ID: "install.hostVersion", Title: "The browser's part of the helper is up to date", Status: OK, Where: logFile}
		tail, err := ReadLogTail(logFile, relayLogTail)
		if err != nil {
			res.Found = "no browser has connected to the helper yet"
			return []Result{res}
		}
		browser, hv, _, ok := LastRelay(tail)
		if !ok {
			res.Found = "no browser has connected to the helper lately"
			return []Result{res}
		}
		have, herr := version.Parse(hv)
		ours, oerr := version.Parse(version.Version)
		switch {
		case herr != nil || oerr != nil:
			res.Status = Warning
			res.Found = "the browser's helper (bpclient-host) that connected last says version " + hv + ", which is not a version"
			res.Fix = "Reinstall BPClient, then close and reopen the browser."
		case have.Less(ours):
			res.Status = Warning
			res.Found = "the browser's helper (bpclient-host) that " + browserName(browser) + " started last is version " + hv +
				", older than the helper's " + version.Version
			res.Fix = "Reinstall BPClient, then close and reopen " + browserName(browser) + "."
		default:
			res.Found = "the browser's helper (bpclient-host) that connected last is version " + hv
		}
		return []Result{res}
	}
}

func browserName(b string) string {
	if b == "" {
		return "the browser"
	}
	return b
}

// ReadLogTail reads the last limit bytes of path, from a line's start
// (the first line cut by the limit is left out).
func ReadLogTail(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	off := max(0, info.Size()-limit)
	buf := make([]byte, info.Size()-off)
	n, err := f.ReadAt(buf, off)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	buf = buf[:n]
	if off > 0 {
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			buf = buf[i+1:]
		}
	}
	return buf, nil
}
