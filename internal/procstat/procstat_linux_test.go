package procstat

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

func TestCPUAndStatusOfSelf(t *testing.T) {
	own0, _, err := CPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spin until a tick is counted: the reading must grow with the work.
	own1 := own0
	for end := time.Now().Add(5 * time.Second); own1 <= own0 && time.Now().Before(end); {
		for spin := time.Now().Add(5 * time.Millisecond); time.Now().Before(spin); {
		}
		if own1, _, err = CPU(os.Getpid()); err != nil {
			t.Fatal(err)
		}
	}
	if own1 <= own0 {
		t.Errorf("CPU did not grow over 5 s of spinning: %v then %v", own0, own1)
	}
	if hwm := Status(os.Getpid(), "VmHWM"); !strings.HasSuffix(hwm, "kB") {
		t.Errorf("VmHWM %q", hwm)
	}
	if v := Status(os.Getpid(), "NoSuchLine"); v != "?" {
		t.Errorf("a missing line gave %q", v)
	}
	if _, _, err := CPU(-1); err == nil {
		t.Error("no error for pid -1")
	}
}

func TestRSSByFileOfSelf(t *testing.T) {
	// Touch 8 MB of fresh anonymous memory: "[anon]" must count it.
	buf := make([]byte, 8<<20)
	for i := range buf {
		buf[i] = 1
	}
	rss, err := RSSByFile(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	kb := map[string]int{}
	for _, r := range rss {
		kb[r.Name] = r.KB
	}
	if kb["[anon]"] < 8<<10 {
		t.Errorf("anonymous %d kB after touching 8 MB: %v", kb["[anon]"], rss)
	}
	if kb[filepath.Base(exe)] == 0 {
		t.Errorf("no resident pages of the test binary %s: %v", filepath.Base(exe), rss)
	}
	for i := 1; i < len(rss); i++ {
		if rss[i].KB > rss[i-1].KB {
			t.Errorf("not largest first: %v", rss)
		}
	}
	_ = buf[len(buf)-1]
}

func TestPresentPagesOfSelf(t *testing.T) {
	page := os.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 16*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(mem)
	mem[0], mem[5*page+7] = 1, 1 // two pages touched, fourteen never
	start := uint64(uintptr(unsafe.Pointer(&mem[0])))
	maps, err := Maps(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range maps {
		found = found || m.Start <= start && start < m.End && m.Perms[:2] == "rw"
	}
	if !found {
		t.Errorf("no rw mapping holds %#x: %+v", start, maps)
	}
	present, err := Present(os.Getpid(), start, start+uint64(16*page))
	if err != nil {
		t.Fatal(err)
	}
	if len(present) != 16 {
		t.Fatalf("%d pages, want 16", len(present))
	}
	for i, p := range present {
		if p != (i == 0 || i == 5) {
			t.Errorf("page %d present %v (touched: 0 and 5)", i, p)
		}
	}
}
