package support

import (
	"bufio"
	"bytes"
	"os"
	"strings"
)

// osRelease is the distribution (/etc/os-release) and the kernel.
func osRelease() map[string]string {
	r := map[string]string{}
	if data, err := os.ReadFile("/etc/os-release"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), "=")
			switch k {
			case "PRETTY_NAME", "ID", "VERSION_ID":
				if ok {
					r[k] = strings.Trim(v, `"`)
				}
			}
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		r["kernel"] = strings.TrimSpace(string(data))
	}
	return r
}
