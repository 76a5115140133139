package doctor

import (
	"errors"
	"fmt"
	"sort"
	"strconv"

	"golang.org/x/sys/windows/registry"
)

// winRegistry reads the real registry. Policy keys live under
// SOFTWARE\Policies, which is shared between the 32- and 64-bit views.
type winRegistry struct{}

func systemRegistry() RegistryReader { return winRegistry{} }

func hiveOf(hive string) (registry.Key, error) {
	switch hive {
	case "HKLM":
		return registry.LOCAL_MACHINE, nil
	case "HKCU":
		return registry.CURRENT_USER, nil
	}
	return 0, fmt.Errorf("unknown hive %q", hive)
}

func open(hive, key string) (registry.Key, bool, error) {
	h, err := hiveOf(hive)
	if err != nil {
		return 0, false, err
	}
	k, err := registry.OpenKey(h, key, registry.QUERY_VALUE|registry.ENUMERATE_SUB_KEYS)
	if errors.Is(err, registry.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf(`open %s\%s: %w`, hive, key, err)
	}
	return k, true, nil
}

func (winRegistry) String(hive, key, name string) (string, bool, error) {
	k, ok, err := open(hive, key)
	if !ok || err != nil {
		return "", false, err
	}
	defer k.Close()
	v, _, err := k.GetStringValue(name)
	if errors.Is(err, registry.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf(`read %s\%s %s: %w`, hive, key, name, err)
	}
	return v, true, nil
}

func (winRegistry) Integer(hive, key, name string) (uint64, bool, error) {
	k, ok, err := open(hive, key)
	if !ok || err != nil {
		return 0, false, err
	}
	defer k.Close()
	v, _, err := k.GetIntegerValue(name)
	if errors.Is(err, registry.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf(`read %s\%s %s: %w`, hive, key, name, err)
	}
	return v, true, nil
}

func (winRegistry) Strings(hive, key string) ([]string, bool, error) {
	k, ok, err := open(hive, key)
	if !ok || err != nil {
		return nil, false, err
	}
	defer k.Close()
	names, err := k.ReadValueNames(0)
	if err != nil {
		return nil, false, fmt.Errorf(`list %s\%s: %w`, hive, key, err)
	}
	// Values are named 1, 2, 3...; sort numerically so that 10 follows 9.
	sort.Slice(names, func(i, j int) bool {
		a, errA := strconv.Atoi(names[i])
		b, errB := strconv.Atoi(names[j])
		if errA == nil && errB == nil {
			return a < b
		}
		return names[i] < names[j]
	})
	var out []string
	for _, n := range names {
		if v, _, err := k.GetStringValue(n); err == nil {
			out = append(out, v)
		}
	}
	return out, true, nil
}
