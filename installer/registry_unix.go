//go:build !windows

package installer

import "github.com/openbpclient/bpclient/nativemsg"

// On Linux and macOS a browser finds the manifest by its path alone.
type fileRegistry struct{}

func newHostRegistry(*Installer) (hostRegistry, error) { return fileRegistry{}, nil }

func (fileRegistry) register(nativemsg.Location) (bool, error)   { return false, nil }
func (fileRegistry) unregister(nativemsg.Location) (bool, error) { return false, nil }
func (fileRegistry) lookup(loc nativemsg.Location) (string, error) {
	return loc.File, nil
}
