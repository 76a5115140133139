//go:build !(linux && (amd64 || arm64))

package media

import "net"

func newRTPSender(c *net.UDPConn) rtpSender     { return portableSender{c} }
func newRTPReceiver(c *net.UDPConn) rtpReceiver { return portableReceiver{c} }
