package support

import "golang.org/x/sys/unix"

// osRelease is macOS's product version and the kernel's.
func osRelease() map[string]string {
	r := map[string]string{}
	for key, name := range map[string]string{"productVersion": "kern.osproductversion", "kernel": "kern.osrelease"} {
		if v, err := unix.Sysctl(name); err == nil {
			r[key] = v
		}
	}
	return r
}
