//go:build !windows

package support

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
)

func downloadsDir(getenv func(string) string) (string, error) {
	home := getenv("HOME")
	if home == "" {
		return "", errors.New("downloads folder: HOME is not set")
	}
	if runtime.GOOS != "darwin" {
		conf := getenv("XDG_CONFIG_HOME")
		if conf == "" {
			conf = filepath.Join(home, ".config")
		}
		if data, err := os.ReadFile(filepath.Join(conf, "user-dirs.dirs")); err == nil {
			if d := xdgDownloadDir(string(data), home); d != "" {
				return d, nil
			}
		}
	}
	return filepath.Join(home, "Downloads"), nil
}
