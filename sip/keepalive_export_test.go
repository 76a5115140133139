package sip

// PongsForTest counts the CRLF pongs the phone has read (keepalive.go).
func (p *Phone) PongsForTest() uint64 { return p.pongs.Load() }
