package procstat

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// tick is one clock tick of /proc/PID/stat (USER_HZ, 100 on Linux).
const tick = 10 * time.Millisecond

// CPU is the user+system CPU of process pid (own), and of the children it
// has waited for (children).
func CPU(pid int) (own, children time.Duration, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name, in parentheses, may hold spaces: count the fields
	// after its closing parenthesis (field 3, the state, comes first).
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 15 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	n := make([]int, 4) // utime, stime, cutime, cstime: fields 14 to 17
	for i := range n {
		if n[i], err = strconv.Atoi(f[11+i]); err != nil {
			return 0, 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
	}
	return time.Duration(n[0]+n[1]) * tick, time.Duration(n[2]+n[3]) * tick, nil
}

// Status is the value of one line of /proc/PID/status ("VmHWM" → "16012
// kB"), or "?" when there is none.
func Status(pid int, key string) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
