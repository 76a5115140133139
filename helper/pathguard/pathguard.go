// Package pathguard decides whether the agent may open a file that a client
// named in a request. A web page must never make the agent open a file: it
// could probe which files exist, read what it should not, or, on Windows,
// make the agent authenticate to an SMB server with the user's credentials
// by naming \\server\share. Pages give contents instead (caPem); local
// clients (the CLI, run by the user) may still give paths, but only local
// absolute ones.
package pathguard

import (
	"errors"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
)

// ErrForbidden is the one answer for every refused path. It never depends
// on the file, so it cannot tell whether one exists.
var ErrForbidden = errors.New("a file path is not accepted here")

// Check returns ErrForbidden unless a client may make the agent open path.
// Pages and the extension (localClient false) may give no path at all;
// local clients only an absolute path on this machine. Check runs before
// anything touches the file system.
func Check(localClient bool, path string) error {
	return check(runtime.GOOS, localClient, path)
}

// Param checks the path a request gave in member field and returns the
// answer to send when it is refused: -32602 with data.reason
// "forbidden-path", the same words whatever the path and whatever is on
// disk. Nil means the path may be opened.
func Param(localClient bool, field, path string) *jsonrpc.Error {
	if err := Check(localClient, path); err != nil {
		hint := "pages cannot name files"
		if localClient {
			hint = "want an absolute path on this machine"
		}
		return jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: %s: %v (%s)", field, err, hint).
			WithData(map[string]string{"reason": jsonrpc.ReasonForbiddenPath})
	}
	return nil
}

func check(goos string, localClient bool, path string) error {
	if !localClient {
		return ErrForbidden
	}
	if goos == "windows" {
		if !windowsLocalAbs(path) {
			return ErrForbidden
		}
		return nil
	}
	if !filepath.IsAbs(path) || strings.ContainsRune(path, 0) {
		return ErrForbidden
	}
	return nil
}

// windowsLocalAbs reports whether p is a plain drive path (C:\dir\file).
// Opening anything else may leave the machine or reach a device: UNC
// paths (\\server\share, //server/share) authenticate to the server;
// \\?\ and \\.\ (and \??\) reach any device or pipe; C:rel and \rooted
// depend on the current directory; a reserved DOS name (NUL, COM1, CON…)
// in any folder is a device; a colon after the drive names an alternate
// data stream.
func windowsLocalAbs(p string) bool {
	if strings.ContainsRune(p, 0) {
		return false
	}
	p = strings.ReplaceAll(p, "/", `\`)
	if len(p) < 3 || !isDriveLetter(p[0]) || p[1] != ':' || p[2] != '\\' {
		return false
	}
	for _, elem := range strings.Split(p[3:], `\`) {
		if strings.ContainsRune(elem, ':') || reservedDOSName(elem) {
			return false
		}
	}
	return true
}

func isDriveLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// reservedDOSName: Windows maps these names to devices in every folder,
// whatever the extension and trailing dots or spaces ("nul.wav", "COM1 ").
func reservedDOSName(elem string) bool {
	name, _, _ := strings.Cut(elem, ".")
	name = strings.ToUpper(strings.TrimRight(name, " ."))
	switch name {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(name) > 3 && (strings.HasPrefix(name, "COM") || strings.HasPrefix(name, "LPT")) {
		switch n := name[3:]; n {
		case "¹", "²", "³": // superscript digits count too
			return true
		default:
			return len(n) == 1 && '0' <= n[0] && n[0] <= '9'
		}
	}
	return false
}
