package ipc

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// The pipe's DACL is protected and admits this user only.
func TestPipeACLAdmitsOnlyTheUser(t *testing.T) {
	addr := testAddr(t)
	ln, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sid, err := userSID()
	if err != nil {
		t.Fatal(err)
	}
	h := ln.(*pipeListener).next
	sd, err := windows.GetSecurityInfo(h, windows.SE_KERNEL_OBJECT, windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Skipf("GetSecurityInfo on a pipe: %v", err)
	}
	sddl := sd.String()
	if !strings.Contains(sddl, "D:P") {
		t.Errorf("DACL %s is not protected", sddl)
	}
	if strings.Count(sddl, "(A;") != 1 || !strings.Contains(sddl, sid) {
		t.Errorf("DACL %s: want a single allow entry for %s", sddl, sid)
	}
}

// listening is a listener of ours on a fresh pipe name, closed with the
// test.
func listening(t *testing.T) (string, net.Listener) {
	t.Helper()
	addr := testAddr(t)
	ln, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return addr, ln
}

// serve accepts clients on ln until it closes and reports, for each, how
// many bytes it sent before it went away. A client that comes and goes
// before Accept sees it is never reported (the listener reuses that pipe
// instance, and what the client wrote is gone with it), so a test that
// must know a refused client sent nothing follows it with
// sentNothingBefore, whose client stays until the server has seen it.
func serve(t *testing.T, ln net.Listener) <-chan int {
	got := make(chan int, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(30 * time.Second)) // hang guard
			buf := make([]byte, len(marker))
			n, _ := io.ReadFull(c, buf)
			if string(buf[:n]) == marker {
				c.Write([]byte{1}) // seen: the marker's client may go
			} else {
				rest, _ := io.Copy(io.Discard, c)
				n += int(rest)
			}
			c.Close()
			got <- n
		}
	}()
	return got
}

// marker is what sentNothingBefore's own client sends.
const marker = "marker!"

// sentNothingBefore dials addr as our own agent's client, sends marker and
// checks that every client the server saw before it sent nothing.
func sentNothingBefore(t *testing.T, addr string, got <-chan int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr)
	if err != nil {
		t.Fatalf("Dial of our own agent: %v", err)
	}
	c.Write([]byte(marker))
	c.SetReadDeadline(time.Now().Add(30 * time.Second)) // hang guard
	c.Read(make([]byte, 1))
	c.Close()
	for {
		select {
		case n := <-got:
			if n == len(marker) {
				return
			}
			if n != 0 {
				t.Fatalf("the server received %d bytes from a refused client, want 0", n)
			}
		case <-ctx.Done():
			t.Fatal("hang guard (30 s): the server never saw our own client")
		}
	}
}

// A pipe whose server runs as another user (here: a server-SID lookup
// that says so, as wine has one user only) is hung up on before the
// client writes a byte, with an error naming both SIDs.
func TestDialRefusesPipeOfAnotherUser(t *testing.T) {
	addr, ln := listening(t)
	got := serve(t, ln)
	self, err := userSID()
	if err != nil {
		t.Fatal(err)
	}
	const other = "S-1-5-21-1004336348-1177238915-682003330-1002"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := dialChecked(ctx, addr, func(windows.Handle) (string, error) { return other, nil })
	if err == nil {
		c.Write([]byte(`{"method":"phone.configure"}`))
		c.Close()
		t.Fatal("dialled a pipe served by another user")
	}
	want := addr + " is served by " + other + ", not by you (" + self + "): another user may be posing as the agent; not connecting"
	if !errors.Is(err, ErrNotOurs) || !strings.Contains(err.Error(), want) {
		t.Fatalf("dial: %v\nwant ErrNotOurs saying %q", err, want)
	}
	sentNothingBefore(t, addr, got)
	// A server whose user cannot be learned is refused too.
	_, err = dialChecked(ctx, addr, func(windows.Handle) (string, error) { return "", windows.ERROR_ACCESS_DENIED })
	if !errors.Is(err, ErrNotOurs) || !strings.Contains(err.Error(), "cannot learn who serves it") {
		t.Fatalf("dial with an unknown server: %v, want ErrNotOurs", err)
	}
	sentNothingBefore(t, addr, got)
}

// The real lookup finds our own agent: its process and its user.
func TestPipeServerIsOurOwnProcess(t *testing.T) {
	addr, ln := listening(t)
	got := serve(t, ln)
	h, err := openPipe(addr)
	if err != nil {
		t.Fatal(err)
	}
	var pid uint32
	if err := windows.GetNamedPipeServerProcessId(h, &pid); err != nil || int(pid) != os.Getpid() {
		t.Errorf("pipe server process %d, %v; want %d", pid, err, os.Getpid())
	}
	sid, err := pipeServerSID(h)
	self, _ := userSID()
	if err != nil || sid != self {
		t.Errorf("pipe server user %q, %v; want %q", sid, err, self)
	}
	windows.CloseHandle(h)
	// And Dial, with that lookup, talks to it.
	sentNothingBefore(t, addr, got)
}

// A pipe name we cannot create is our own agent's (ErrAgentRunning) only
// when its server runs as us; otherwise Listen says who holds it.
func TestWhoHoldsThePipeName(t *testing.T) {
	addr, ln := listening(t)
	go func() { // the probes connect and hang up
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	self, _ := userSID()
	if err := whoHolds(addr, self); !errors.Is(err, ErrAgentRunning) {
		t.Errorf("held by us: %v, want ErrAgentRunning", err)
	}
	const other = "S-1-5-21-1004336348-1177238915-682003330-1002"
	err := whoHolds(addr, other)
	want := addr + " is held by " + self + ", not by you (" + other + "): another user may be posing as the agent; not listening"
	if !errors.Is(err, ErrNotOurs) || err.Error() != want {
		t.Errorf("held by another: %v\nwant %q", err, want)
	}
}
