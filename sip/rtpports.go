package sip

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
)

// Values of Config.RTPLatching.
const (
	// RTPLatchingSignalledIP (the default) lets a stream latch to
	// another port of the signalled IP, once, within its first packets.
	RTPLatchingSignalledIP = "signalled-ip"
	// RTPLatchingOff takes media only from the signalled addresses.
	RTPLatchingOff = "off"
)

// allocRTP binds an even RTP port and the RTCP port above it within the
// configured range.
func (p *Phone) allocRTP() (*net.UDPConn, *net.UDPConn, error) {
	lo, hi := p.cfg.RTPPortMin, p.cfg.RTPPortMax
	span := (hi - lo) / 2
	var b [4]byte
	_, _ = rand.Read(b[:])
	start := int(binary.BigEndian.Uint32(b[:]) % uint32(span))
	for i := 0; i < span && i < 200; i++ {
		port := lo + 2*((start+i)%span)
		if port%2 == 1 {
			port++
		}
		if port+1 > hi {
			continue
		}
		a, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(p.localIP), Port: port})
		if err != nil {
			continue
		}
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(p.localIP), Port: port + 1})
		if err != nil {
			a.Close()
			continue
		}
		if p.cfg.DSCP > 0 {
			if err := setDSCP(a, p.cfg.DSCP); err != nil {
				p.log.Debug().Err(err).Msg("cannot mark RTP with DSCP")
			}
			_ = setDSCP(c, p.cfg.DSCP)
		}
		return a, c, nil
	}
	return nil, nil, fmt.Errorf("no free RTP port pair in %d-%d", lo, hi)
}
