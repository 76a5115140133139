package audio

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestDeviceProbeAllocatesNothing: the agent probes every 1.5 s all day;
// garbage would grow its heap (and RSS) up to the collector's minimum
// goal.
func TestDeviceProbeAllocatesNothing(t *testing.T) {
	probe := NewDeviceProbe()
	probe() // the buffers grow to size once
	if n := testing.AllocsPerRun(50, func() { probe() }); n != 0 {
		t.Errorf("a probe allocates %v times, want 0", n)
	}
}

// TestDeviceProbeSeesConfiguration: the sum changes when a user's ALSA
// configuration appears, changes or goes, and when a conf.d snippet is
// added; it stays the same while nothing changes.
func TestDeviceProbeSeesConfiguration(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	confd := t.TempDir()
	t.Setenv("ALSA_CONFIG_PATH", filepath.Join(confd, "alsa.conf"))
	probe := NewDeviceProbe()
	sum := func() string {
		sig, _ := probe()
		return string(sig) // a copy: the next probe reuses the buffer
	}
	write := func(path, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s0 := sum()
	if s1 := sum(); s1 != s0 {
		t.Fatalf("the sum changed with nothing changed:\n%s\n---\n%s", s0, s1)
	}
	steps := []struct {
		what string
		do   func()
	}{
		{"~/.asoundrc written", func() { write(filepath.Join(home, ".asoundrc"), "pcm.!default { type null }\n") }},
		{"~/.asoundrc grown", func() { write(filepath.Join(home, ".asoundrc"), "pcm.!default { type null }\n# more\n") }},
		{"~/.config/alsa/asoundrc written", func() { write(filepath.Join(home, ".config", "alsa", "asoundrc"), "x\n") }},
		{"ALSA_CONFIG_PATH's file written", func() { write(filepath.Join(confd, "alsa.conf"), "y\n") }},
		{"~/.asoundrc removed", func() { os.Remove(filepath.Join(home, ".asoundrc")) }},
	}
	prev := s0
	for _, st := range steps {
		st.do()
		s := sum()
		if s == prev {
			t.Errorf("%s: the sum did not change:\n%s", st.what, s)
		}
		prev = s
	}
	if !strings.Contains(prev, filepath.Join(confd, "alsa.conf")) {
		t.Errorf("the sum does not name ALSA_CONFIG_PATH's file:\n%s", prev)
	}
}

// TestDeviceProbeListsDirectories: directory entries are read, sorted,
// without "." and "..", however many getdents calls they take.
func TestDeviceProbeListsDirectories(t *testing.T) {
	dir := t.TempDir()
	var want []string
	for i := 0; i < 600; i++ { // more than one 8 KB getdents buffer
		name := strings.Repeat("n", 20) + string(rune('a'+i%26)) + strings.Repeat("z", i%7) + "-" + strconv.Itoa(i)
		want = append(want, name)
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dp := newDeviceProbe()
	if !dp.readNames(dir) {
		t.Fatal("readNames failed")
	}
	var got []string
	for _, sp := range dp.spans {
		got = append(got, string(dp.names[sp[0]:sp[1]]))
	}
	slices.Sort(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %d names, want %d (sorted)", len(got), len(want))
	}
}
