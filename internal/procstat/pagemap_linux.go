package procstat

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Mapping is one line of /proc/PID/maps: a range of the process's
// addresses, and the file and offset it maps ("" for anonymous memory).
type Mapping struct {
	Start, End uint64 // [Start, End)
	Perms      string // "r-xp"
	Offset     uint64 // in the file, of Start
	Path       string
}

// Maps lists the mappings of process pid.
func Maps(pid int) ([]Mapping, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return nil, err
	}
	var out []Mapping
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		// start-end perms offset dev inode [path]
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		off, err3 := strconv.ParseUint(f[2], 16, 64)
		if !ok || err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("/proc/%d/maps: %q", pid, line)
		}
		m := Mapping{Start: start, End: end, Perms: f[1], Offset: off}
		if len(f) >= 6 {
			m.Path = strings.Join(f[5:], " ")
		}
		out = append(out, m)
	}
	return out, nil
}

// Present reports which pages of [start, end) are in process pid's page
// tables, resident and counted in its RSS (bit 63 of each page's entry
// in /proc/PID/pagemap; swapped pages, bit 62, are not). One bool per
// page of os.Getpagesize() bytes; start is rounded down to a page.
func Present(pid int, start, end uint64) ([]bool, error) {
	page := uint64(os.Getpagesize())
	start &^= page - 1
	if end <= start {
		return nil, nil
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/pagemap", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n := (end - start + page - 1) / page
	buf := make([]byte, 8*n)
	if _, err := f.ReadAt(buf, int64(start/page*8)); err != nil {
		return nil, fmt.Errorf("/proc/%d/pagemap at %#x: %w", pid, start, err)
	}
	out := make([]bool, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(buf[8*i:])&(1<<63) != 0
	}
	return out, nil
}
