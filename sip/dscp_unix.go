//go:build !windows

package sip

import (
	"net"
	"syscall"
)

// setDSCP marks the socket's packets with a DSCP (EF = 46 for voice).
func setDSCP(c *net.UDPConn, dscp int) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TOS, dscp<<2)
	})
	if err != nil {
		return err
	}
	return serr
}
