package siptest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// Ports for the peers we start (Kamailio, baresip) come from a fixed
// range below the kernel's ephemeral range (32768–60999 on Linux), so
// that no outgoing connection of another process can take a port between
// our probe and the peer's bind. The phone's own RTP default ends at
// 20000, so the range starts above it.
//
// Parallel test processes (go test runs packages side by side, and
// several checkouts may test at once) share the range through lock
// files: a process takes a block of ports by holding an exclusive flock
// on the block's file under os.TempDir() for as long as it runs (the
// kernel drops the lock when the process ends, however it ends), and
// hands out ports only from its own blocks. A probe bind of every port
// still guards against programs that do not take part.
const (
	portLow   = 21000
	portHigh  = 32000 // exclusive
	blockSize = 100
	numBlocks = (portHigh - portLow) / blockSize
)

// pool is this process's share of the range. Ports go back to it when
// the test that took them ends.
var pool = &portPool{used: map[int]bool{}}

type portPool struct {
	mu     sync.Mutex
	blocks []int        // first port of each block we hold
	locks  []*os.File   // their lock files, open for the life of the process (nil: none)
	used   map[int]bool // ports handed out and not yet released
	next   int          // the block to try next (rotates from our pid)
	inited bool
}

// FreePort returns a port that is free on 127.0.0.1 for both UDP and TCP,
// reserved for this test until it ends.
func FreePort(t testing.TB) int {
	t.Helper()
	return FreePortRange(t, 1)
}

// FreePortRange returns a port p such that p..p+span-1 are free for UDP
// and TCP on 127.0.0.1, reserved for this test until it ends. For a span
// above 1, p is even (RTP port ranges start on an even port).
func FreePortRange(t testing.TB, span int) int {
	t.Helper()
	if span < 1 || span > blockSize {
		t.Fatalf("siptest: port span %d (1..%d)", span, blockSize)
	}
	base, err := pool.take(span)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.release(base, span) })
	return base
}

func (p *portPool) take(span int) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.inited {
		// Processes start their search at different blocks, so they
		// seldom even try the same lock file.
		p.next = os.Getpid() % numBlocks
		p.inited = true
	}
	for _, b := range p.blocks {
		if base, ok := p.findLocked(b, span); ok {
			return base, nil
		}
	}
	for tried := 0; tried < numBlocks; tried++ {
		b := portLow + p.next*blockSize
		p.next = (p.next + 1) % numBlocks
		if p.holdsLocked(b) {
			continue
		}
		f, err := lockBlock(b)
		if errors.Is(err, errLocked) {
			continue // another process holds it
		}
		// Any other error: no lock directory here; the probe binds
		// alone keep the ports apart.
		p.blocks = append(p.blocks, b)
		p.locks = append(p.locks, f)
		if base, ok := p.findLocked(b, span); ok {
			return base, nil
		}
	}
	return 0, fmt.Errorf("siptest: no %d free port(s) in %d-%d", span, portLow, portHigh-1)
}

func (p *portPool) holdsLocked(block int) bool {
	for _, b := range p.blocks {
		if b == block {
			return true
		}
	}
	return false
}

// findLocked finds span unused ports in the block that bind right now.
func (p *portPool) findLocked(block, span int) (int, bool) {
	step := 1
	if span > 1 {
		step = 2
	}
next:
	for base := block; base+span <= block+blockSize; base += step {
		for port := base; port < base+span; port++ {
			if p.used[port] {
				continue next
			}
		}
		for port := base; port < base+span; port++ {
			if !bindable(port) {
				continue next
			}
		}
		for port := base; port < base+span; port++ {
			p.used[port] = true
		}
		return base, true
	}
	return 0, false
}

func (p *portPool) release(base, span int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for port := base; port < base+span; port++ {
		delete(p.used, port)
	}
}

// bindable reports whether port is free for both TCP and UDP now.
func bindable(port int) bool {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	defer ln.Close()
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return false
	}
	pc.Close()
	return true
}

// errLocked: another process holds the block.
var errLocked = errors.New("port block locked by another process")

// lockBlock takes the block's lock file, or fails at once with errLocked
// if another process has it.
func lockBlock(block int) (*os.File, error) {
	dir := filepath.Join(os.TempDir(), "bpclient-test-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(block)+".lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, err
	}
	if err := tryLock(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
