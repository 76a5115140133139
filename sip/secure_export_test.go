package sip

// Test hooks for secure mode (compiled only into tests).

// RTPPortForTest is the call's local RTP port.
func (c *Call) RTPPortForTest() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.media == nil {
		return 0
	}
	return c.media.localPort()
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
		c.media.mu.Lock()
		if c.media.secRemote != nil {
			out = append(out, append([]byte(nil), c.media.secRemote...))
		}
		c.media.mu.Unlock()
	}
	return out
}
