package media

import "github.com/openbpclient/bpclient/audio/codec"

// concealer decides what plays for a frame whose packet is missing: the
// codec's own concealment when it has one, otherwise the last good frame
// at half the level for each frame lost in a row, and silence from the
// fourth on (a repeated frame sounds like a buzz, silence like a gap).
type concealer struct {
	last []int16 // the last good frame
	run  int     // frames concealed in a row
}

func newConcealer(maxFrame int) *concealer { return &concealer{last: make([]int16, maxFrame)} }

// good takes a frame that was decoded from a packet.
func (c *concealer) good(pcm []int16) {
	c.run = 0
	copy(c.last, pcm)
}

// conceal fills pcm[:frame] for a lost packet and returns the samples
// to play.
func (c *concealer) conceal(dec codec.Decoder, pcm []int16, frame int) int {
	c.run++
	if cc, ok := dec.(codec.Concealer); ok {
		if k, err := cc.Conceal(pcm[:frame]); err == nil {
			return k
		}
		return frame
	}
	if c.run <= 3 {
		for i := 0; i < frame; i++ {
			pcm[i] = c.last[i] / int16(1<<c.run)
		}
		return frame
	}
	clear(pcm[:frame])
	return frame
}
