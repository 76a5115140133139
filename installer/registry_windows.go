package installer

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"

	"github.com/openbpclient/bpclient/nativemsg"
)

// On Windows a browser reads the manifest's path from the default value
// of a key under HKEY_CURRENT_USER. HKCU\Software is shared between the
// 32- and 64-bit views, so one write serves both.
type hkcuRegistry struct{}

func newHostRegistry(*Installer) (hostRegistry, error) { return hkcuRegistry{}, nil }

func (hkcuRegistry) register(loc nativemsg.Location) (bool, error) {
	if loc.RegistryKey == "" {
		return false, fmt.Errorf("no registry key for %s", loc.Browser)
	}
	k, _, err := registry.CreateKey(registry.CURRENT_USER, loc.RegistryKey, registry.QUERY_VALUE|registry.SET_VALUE)
	if err != nil {
		return false, fmt.Errorf(`create HKCU\%s: %w`, loc.RegistryKey, err)
	}
	defer k.Close()
	if old, _, err := k.GetStringValue(""); err == nil && old == loc.File {
		return false, nil
	}
	if err := k.SetStringValue("", loc.File); err != nil {
		return false, fmt.Errorf(`set HKCU\%s: %w`, loc.RegistryKey, err)
	}
	return true, nil
}

func (hkcuRegistry) unregister(loc nativemsg.Location) (bool, error) {
	if loc.RegistryKey == "" {
		return false, nil
	}
	err := registry.DeleteKey(registry.CURRENT_USER, loc.RegistryKey)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, registry.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf(`delete HKCU\%s: %w`, loc.RegistryKey, err)
	}
}

func (hkcuRegistry) lookup(loc nativemsg.Location) (string, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, loc.RegistryKey, registry.QUERY_VALUE)
	if err != nil {
		if errors.Is(err, registry.ErrNotExist) {
			return "", errNotRegistered
		}
		return "", fmt.Errorf(`open HKCU\%s: %w`, loc.RegistryKey, err)
	}
	defer k.Close()
	v, _, err := k.GetStringValue("")
	if err != nil {
		return "", fmt.Errorf(`read HKCU\%s: %w`, loc.RegistryKey, err)
	}
	return v, nil
}
