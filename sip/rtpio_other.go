//go:build !(linux && (amd64 || arm64))

package sip

import "net"

func newRTPSender(c *net.UDPConn) rtpSender     { return portableSender{c} }
func newRTPReceiver(c *net.UDPConn) rtpReceiver { return portableReceiver{c} }
