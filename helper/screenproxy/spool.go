package screenproxy

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/openbpclient/bpclient/helper/paths"
)

// Spooled reports whether the upload spool in dir holds a segment
// (screen/spool's layout: a folder r-<digest> per recording, its
// segments NNNNNNNN.webm): then a worker must run to upload it.
func Spooled(dir string) bool {
	if dir == "" {
		return false
	}
	recs, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, r := range recs {
		if !r.IsDir() || !strings.HasPrefix(r.Name(), "r-") {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, r.Name()))
		if err != nil {
			continue
		}
		for _, f := range files {
			if segmentName(f.Name()) {
				return true
			}
		}
	}
	return false
}

// segmentName reports whether name is a spooled segment's (NNNNNNNN.webm,
// from 1), which the spool uploads: other files it leaves or removes.
func segmentName(name string) bool {
	num, ok := strings.CutSuffix(name, ".webm")
	if !ok || len(num) != 8 || strings.Trim(num, "0123456789") != "" {
		return false
	}
	return strings.Trim(num, "0") != ""
}

// Beside is the worker next to bpclient's own executable, or why there
// is none (a developer's go build of bpclient alone).
func Beside() (string, error) {
	path, err := paths.Beside(Program)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(path); err != nil {
		return "", &MissingError{Path: path}
	}
	return path, nil
}

// MissingError: the worker is not installed where bpclient is.
type MissingError struct{ Path string }

func (e *MissingError) Error() string {
	return Program + " is not installed beside bpclient (in " + filepath.Base(filepath.Dir(e.Path)) + ")"
}
