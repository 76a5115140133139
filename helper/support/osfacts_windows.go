package support

import "golang.org/x/sys/windows/registry"

// osRelease is Windows's product name and build, from the registry.
func osRelease() map[string]string {
	r := map[string]string{}
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SOFTWARE\Microsoft\Windows NT\CurrentVersion`, registry.QUERY_VALUE)
	if err != nil {
		return r
	}
	defer k.Close()
	for _, name := range []string{"ProductName", "DisplayVersion", "CurrentBuild"} {
		if v, _, err := k.GetStringValue(name); err == nil {
			r[name] = v
		}
	}
	return r
}
