package sip

import "net"

// setDSCP does nothing on Windows: the stack ignores IP_TOS from
// applications; marking there is set by a QoS policy (Group Policy /
// qWAVE), which administrators configure for the executable.
func setDSCP(c *net.UDPConn, dscp int) error { return nil }
