package pathguard

import (
	"errors"
	"strings"
	"testing"
)

func TestPagesGiveNoPath(t *testing.T) {
	for _, goos := range []string{"linux", "darwin", "windows"} {
		for _, p := range []string{"/etc/passwd", "/no/such/file", `\\server\share\x`, `C:\Users\a\ca.pem`, "", "ca.pem"} {
			if err := check(goos, false, p); !errors.Is(err, ErrForbidden) {
				t.Errorf("%s page %q: %v, want ErrForbidden", goos, p, err)
			}
		}
	}
}

func TestLocalClientsUnix(t *testing.T) {
	for p, ok := range map[string]bool{
		"/etc/bpclient/ca.pem": true,
		"/home/a/ring.wav":     true,
		"ring.wav":             false,
		"./ring.wav":           false,
		"":                     false,
		"/tmp/a\x00b":          false,
	} {
		if err := check("linux", true, p); (err == nil) != ok {
			t.Errorf("local %q: %v, want allowed=%v", p, err, ok)
		}
	}
}

// The Windows rule, tested on every OS: nothing that would reach another
// machine (and authenticate to it) or a device is ever opened.
func TestLocalClientsWindows(t *testing.T) {
	for p, ok := range map[string]bool{
		`C:\Users\a\ca.pem`:                true,
		`c:/Users/a/ring.wav`:              true,
		`D:\x\console.wav`:                 true, // not a reserved name
		`C:\x\COM10.wav`:                   true, // only COM0-9 are devices
		`\\server\share\x`:                 false,
		`//server/share/x`:                 false,
		`\/server\share\x`:                 false,
		`\\?\C:\Users\a\ca.pem`:            false,
		`\\?\UNC\server\share\x`:           false,
		`\\.\pipe\bpclient`:                false,
		`\\.\COM1`:                         false,
		`\??\C:\x`:                         false,
		`C:ring.wav`:                       false,
		`\Users\a\ring.wav`:                false,
		`ring.wav`:                         false,
		`C:\x\NUL`:                         false,
		`C:\x\nul.wav`:                     false,
		`C:\x\COM1.pem`:                    false,
		`C:\x\lpt9`:                        false,
		`C:\x\COM²`:                        false,
		`C:\x\CONOUT$`:                     false,
		`C:\x\aux .txt`:                    false,
		`C:\x\con.\y`:                      false,
		`C:\x\ring.wav:stream`:             false,
		`C:\x\a` + "\x00" + `b`:            false,
		"":                                 false,
		`C:\Program Files\BPClient\ca.pem`: true,
	} {
		if err := check("windows", true, p); (err == nil) != ok {
			t.Errorf("windows local %q: %v, want allowed=%v", p, err, ok)
		}
	}
}

// FuzzCheck: a path a page gives is never accepted, and a Windows path
// that is accepted is a drive path with no device name and no stream.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{`C:\x\ca.pem`, `\\server\share`, "/etc/passwd", `\\?\C:\x`, `C:\nul`, "C:\\x\\COM\u00b9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		for _, goos := range []string{"linux", "windows"} {
			if check(goos, false, p) == nil {
				t.Fatalf("%s: a page's path %q accepted", goos, p)
			}
		}
		if check("windows", true, p) == nil {
			if len(p) < 3 || p[1] != ':' || (p[2] != '\\' && p[2] != '/') {
				t.Fatalf("accepted %q: not a drive path", p)
			}
			if strings.Contains(p[2:], ":") || strings.ContainsRune(p, 0) {
				t.Fatalf("accepted %q: a stream or a NUL", p)
			}
			for _, bad := range []string{`\\`, "//", `\/`, `/\`} {
				if len(p) >= 2 && p[:2] == bad {
					t.Fatalf("accepted %q: UNC or device", p)
				}
			}
		}
	})
}
