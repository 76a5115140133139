// Package statefile reads and writes the helper's small JSON state files
// beside BPClient.log (the doctor's page log, the refusal log): private
// to the user (0600 in a 0700 folder), replaced atomically so that a
// reader in another process never sees half a file.
package statefile

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/openbpclient/bpclient/helper/paths"
)

// Read decodes path into v. A missing file is not an error: found is
// false and v untouched.
func Read(path string, v any) (found bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal(data, v)
}

// Write replaces path with v as indented JSON.
func Write(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // harmless after the rename
	_, err = tmp.Write(append(data, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Beside is the state file name in BPClient.log's folder.
func Beside(name string) (string, error) {
	dir, err := paths.LogDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, name), nil
}
