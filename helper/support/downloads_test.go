package support

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestXDGDownloadDir(t *testing.T) {
	for in, want := range map[string]string{
		"# comment\nXDG_DESKTOP_DIR=\"$HOME/Desktop\"\nXDG_DOWNLOAD_DIR=\"$HOME/Téléchargements\"\n": "/home/a/Téléchargements",
		`XDG_DOWNLOAD_DIR="/data/dl/"`:    "/data/dl",
		`XDG_DOWNLOAD_DIR="relative"`:     "",
		`XDG_DOWNLOAD_DIR="$OTHER/x"`:     "",
		"XDG_MUSIC_DIR=\"$HOME/Music\"\n": "",
	} {
		if got := xdgDownloadDir(in, "/home/a"); got != filepath.FromSlash(want) && !(want == "" && got == "") {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// FuzzXDGDownloadDir: whatever user-dirs.dirs holds, the folder is
// absolute, clean and expands nothing but $HOME.
func FuzzXDGDownloadDir(f *testing.F) {
	f.Add("XDG_DOWNLOAD_DIR=\"$HOME/Downloads\"\n")
	f.Add("XDG_DOWNLOAD_DIR=\"/x/../y\"")
	f.Fuzz(func(t *testing.T, data string) {
		got := xdgDownloadDir(data, "/home/a")
		if got != "" && (!filepath.IsAbs(got) || filepath.Clean(got) != got || strings.Contains(got, "$")) {
			t.Errorf("%q: %q", data, got)
		}
	})
}
