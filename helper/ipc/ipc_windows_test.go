package ipc

import (
	"strings"
	"testing"

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
