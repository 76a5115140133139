package procstat

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
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

// Resident is the resident memory of one kind of mapping of a process.
type Resident struct {
	Name string // the mapped file's base name, or "[anon]", "[heap]", "[stack]"
	KB   int
}

// RSSByFile sums /proc/PID/smaps' Rss per mapped file (anonymous mappings
// together as "[anon]"), largest first.
func RSSByFile(pid int) ([]Resident, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return nil, err
	}
	kb := map[string]int{}
	name := ""
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			// A mapping's header: range perms offset dev inode [path].
			name = "[anon]"
			if len(f) >= 6 {
				name = filepath.Base(f[5])
				if strings.HasPrefix(f[5], "[") {
					name = f[5]
				}
			}
		case len(f) >= 2 && f[0] == "Rss:":
			n, _ := strconv.Atoi(f[1])
			kb[name] += n
		}
	}
	out := make([]Resident, 0, len(kb))
	for n, k := range kb {
		if k > 0 {
			out = append(out, Resident{n, k})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].KB > out[j].KB || out[i].KB == out[j].KB && out[i].Name < out[j].Name
	})
	return out, nil
}
