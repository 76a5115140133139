package siptest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestFreePortsAreOursAndDisjoint(t *testing.T) {
	var mu sync.Mutex
	seen := map[int]string{}
	claim := func(t *testing.T, base, span int, who string) {
		mu.Lock()
		defer mu.Unlock()
		if base < portLow || base+span > portHigh {
			t.Errorf("%s: %d+%d outside %d-%d", who, base, span, portLow, portHigh-1)
		}
		if span > 1 && base%2 != 0 {
			t.Errorf("%s: range starts on odd port %d", who, base)
		}
		for p := base; p < base+span; p++ {
			if other, ok := seen[p]; ok {
				t.Errorf("port %d given to %s and %s", p, other, who)
			}
			seen[p] = who
		}
		// Runs before FreePort's own cleanup returns the ports.
		t.Cleanup(func() {
			mu.Lock()
			defer mu.Unlock()
			for p := base; p < base+span; p++ {
				delete(seen, p)
			}
		})
	}
	t.Run("all", func(t *testing.T) {
		for i := range 8 {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				for j := range 5 {
					claim(t, FreePort(t), 1, fmt.Sprintf("port %d.%d", i, j))
				}
				claim(t, FreePortRange(t, 40), 40, fmt.Sprintf("range %d", i))
			})
		}
	})
	// The subtests have ended: their ports are free for the next test.
	pool.mu.Lock()
	n := len(pool.used)
	pool.mu.Unlock()
	if n != 0 {
		t.Errorf("%d ports still reserved after their tests ended", n)
	}
}

// TestPortBlocksAcrossProcesses: a block another test process holds is
// neither locked nor handed out here.
func TestPortBlocksAcrossProcesses(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no lock files on Windows")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHoldPortHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SIPTEST_HOLD_PORT=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); _ = cmd.Wait() }()
	var childPort int
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "port "); ok {
			childPort, _ = strconv.Atoi(p)
			break
		}
	}
	if childPort == 0 {
		t.Fatal("the child process reported no port")
	}
	block := portLow + (childPort-portLow)/blockSize*blockSize
	if f, err := lockBlock(block); !errors.Is(err, errLocked) {
		if f != nil {
			f.Close()
		}
		t.Fatalf("locking the child's block %d: %v, want errLocked", block, err)
	}
	for range 3 {
		if p := FreePortRange(t, 40); p >= block && p < block+blockSize {
			t.Errorf("got %d, in the child's block %d", p, block)
		}
	}
}

// TestHoldPortHelper is the child of TestPortBlocksAcrossProcesses: it
// takes a port and holds it until its stdin closes.
func TestHoldPortHelper(t *testing.T) {
	if os.Getenv("SIPTEST_HOLD_PORT") != "1" {
		t.Skip("helper process for TestPortBlocksAcrossProcesses")
	}
	fmt.Printf("port %d\n", FreePort(t))
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
}
