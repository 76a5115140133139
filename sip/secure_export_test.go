package sip

import (
	"bytes"
	"context"
	"encoding/gob"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/openbpclient/bpclient/sip/dtlssrtp"
	"github.com/openbpclient/bpclient/sip/sdp"
)

// Test hooks for secure mode (compiled only into tests).

// RTPPortForTest is the call's local RTP port.
func (c *Call) RTPPortForTest() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.media == nil {
		return 0
	}
	return c.media.LocalPort()
}

// KeyMaterialForTest returns the key||salt of the call's settled SRTP
// keys, ours and the peer's.
func (c *Call) KeyMaterialForTest() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out [][]byte
	for _, k := range c.crypto {
		out = append(out, k.KeyMaterial())
	}
	if c.media != nil {
		if k := c.media.RemoteKeyMaterial(); k != nil {
			out = append(out, k)
		}
	}
	return out
}

// DTLSSecretsForTest returns the secrets of the call's DTLS associations
// (RTP's and RTCP's): each master secret and the SRTP keying material
// exported from it (both directions' keys and salts).
func (c *Call) DTLSSecretsForTest() [][]byte {
	c.mu.Lock()
	m := c.media
	c.mu.Unlock()
	if m == nil {
		return nil
	}
	rtp, rtcp := m.DTLSSessions()
	sessions := []*dtlssrtp.Session{rtp, rtcp}
	var out [][]byte
	for _, s := range sessions {
		if s == nil {
			continue
		}
		st, ok := s.ConnectionState()
		if !ok {
			continue
		}
		if b, err := st.MarshalBinary(); err == nil {
			var snap struct{ MasterSecret []byte }
			if gob.NewDecoder(bytes.NewReader(b)).Decode(&snap) == nil && len(snap.MasterSecret) > 0 {
				out = append(out, snap.MasterSecret)
			}
		}
		// 2 × (key + salt) of the largest profile: every shorter export
		// is a prefix of it (RFC 5705's PRF output).
		if km, err := st.ExportKeyingMaterial("EXTRACTOR-dtls_srtp", nil, 2*(32+12)); err == nil {
			for i := 0; i+16 <= len(km); i += 16 {
				out = append(out, km[i:i+16])
			}
		}
	}
	return out
}

// ReofferForTest sends a re-INVITE whose SDP is our current one edited
// by edit (a peer re-keying with a line we may refuse) and returns the
// final status; a 2xx is ACKed, and its answer is not applied.
func (c *Call) ReofferForTest(ctx context.Context, edit func(sdp string) string) (int, error) {
	res, err := c.inDialog(ctx, sipmsg.INVITE, []byte(edit(string(c.buildSDP(sdp.SendRecv)))), "application/sdp")
	if err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}
