package spool

import (
	"os"
	"path/filepath"
	"strings"
)

// tmpPrefix marks a file being written; one left by a crash is removed
// when the spool is opened.
const tmpPrefix = ".tmp-"

// writeFileAtomic replaces path with data, 0600, so that neither a
// reader nor an agent killed halfway sees half a file. Written here, not
// taken from helper/statefile: screen must not import helper. The file
// is synced before the rename so that a segment said to be spooled
// survives a power cut too.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), tmpPrefix+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // harmless after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func isTemp(name string) bool { return strings.HasPrefix(name, tmpPrefix) }
