package support

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DownloadsDir is the user's Downloads folder, made when missing: where
// the popup's and the page's bundles are saved.
func DownloadsDir() (string, error) {
	dir, err := downloadsDir(os.Getenv)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("downloads folder: %w", err)
	}
	return dir, nil
}

// xdgDownloadDir reads XDG_DOWNLOAD_DIR of a user-dirs.dirs file
// (xdg-user-dirs: `XDG_DOWNLOAD_DIR="$HOME/Downloads"`), with $HOME
// expanded; "" when the file does not name one, or names a relative path.
func xdgDownloadDir(data, home string) string {
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		v, ok := strings.CutPrefix(line, "XDG_DOWNLOAD_DIR=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"`)
		if rest, ok := strings.CutPrefix(v, "$HOME"); ok {
			if home == "" {
				return ""
			}
			v = home + rest
		}
		if !filepath.IsAbs(v) || strings.Contains(v, "$") {
			return ""
		}
		return filepath.Clean(v)
	}
	return ""
}
