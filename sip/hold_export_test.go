package sip

import (
	"github.com/openbpclient/bpclient/sip/media"
	"github.com/openbpclient/bpclient/sip/srtpmedia"
)

// Test hooks for hold and resume (compiled only into tests).

// SentForTest is our RTP stream's SSRC and the sequence number its next
// packet will carry.
func (c *Call) SentForTest() (ssrc uint32, nextSeq uint16) {
	c.mu.Lock()
	m := c.media
	c.mu.Unlock()
	if m == nil {
		return 0, 0
	}
	return m.Sent()
}

// PeerReportForTest is the remote's latest RTCP reception report on our
// stream: the extended highest sequence number it received and its
// cumulative loss; ok is false before the first.
func (c *Call) PeerReportForTest() (highestSeq uint32, lost uint32, ok bool) {
	c.mu.Lock()
	m := c.media
	c.mu.Unlock()
	if m == nil {
		return 0, 0, false
	}
	return m.PeerReport()
}

// SentKeysForTest are the SDES keys our SRTP is sent with; false when the
// call has none.
func (c *Call) SentKeysForTest() (srtpmedia.Keys, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keying != KeyingSDES || len(c.crypto) != 1 {
		return srtpmedia.Keys{}, false
	}
	k, err := media.SRTPKeys(c.crypto[0])
	return k, err == nil
}
