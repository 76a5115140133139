package procstat

import (
	"os"
	"strings"
	"testing"
	"time"
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
