package media

import (
	"fmt"

	"github.com/openbpclient/bpclient/audio/codec"
)

// dtxPacketiser packs the 10 ms frames of an encoder with discontinuous
// transmission (G.729 Annex B) into RTP payloads, after RFC 3551 4.5.6:
// a packet carries voice frames followed by at most one SID frame, which
// ends it, and a packet of a SID alone is allowed; nothing is sent while
// the encoder sends nothing. A packet holds at most a call's frame
// period (20 ms) of voice. When a SID ends a packet in the middle of a
// period, the voice that follows starts the next packet there, at its
// own timestamp, and waits for its second frame in the next period
// (10 ms more delay until the next silence) rather than going as a short
// packet: the receiver's jitter buffer plays a packet a period.
type dtxPacketiser struct {
	enc        codec.DTXEncoder
	samples    int    // PCM samples a codec frame takes
	voiceBytes int    // a voice frame's payload
	perPacket  int    // voice frames a packet holds at most
	tsPerFrame uint32 // RTP timestamp units a codec frame spans

	frame  []byte // one frame's encoding
	buf    []byte // the packet being filled
	sent   []byte // the payloads given out by the last call, end to end
	voices int    // voice frames in buf
	ts     uint32 // timestamp of buf's first frame
	silent bool   // a frame was not sent since the last packet: mark the next
}

// dtxPacket is one packet the packetiser gives.
type dtxPacket struct {
	payload []byte // valid until the next call of frames
	ts      uint32
	marker  bool // the first packet after frames not sent (RFC 3551 4.1)
}

// newDTXPacketiser packs enc's frames for periods of period samples at
// the codec's rate, spanning step timestamp units each.
func newDTXPacketiser(enc codec.DTXEncoder, period int, step uint32) (*dtxPacketiser, error) {
	samples, voiceBytes := enc.DTXFrame()
	if samples <= 0 || voiceBytes <= 0 || period%samples != 0 {
		return nil, fmt.Errorf("dtx packetiser: %d-sample frames of %d bytes do not fit %d-sample periods", samples, voiceBytes, period)
	}
	per := period / samples
	return &dtxPacketiser{enc: enc, samples: samples, voiceBytes: voiceBytes, perPacket: per,
		tsPerFrame: step / uint32(per), frame: make([]byte, voiceBytes),
		buf: make([]byte, 0, (per+1)*voiceBytes), sent: make([]byte, 0, 2*(per+1)*voiceBytes)}, nil
}

// frames encodes one period of pcm, whose first sample has timestamp ts,
// into out (reused), the packets to send now in order: none, one or two.
// Their payloads are valid until the next call.
func (p *dtxPacketiser) frames(out []dtxPacket, pcm []int16, ts uint32) ([]dtxPacket, error) {
	out = out[:0]
	p.sent = p.sent[:0]
	flush := func() {
		if len(p.buf) == 0 {
			return
		}
		at := len(p.sent)
		p.sent = append(p.sent, p.buf...)
		out = append(out, dtxPacket{payload: p.sent[at:len(p.sent):len(p.sent)], ts: p.ts, marker: p.silent})
		p.buf, p.voices, p.silent = p.buf[:0], 0, false
	}
	for i := 0; i+p.samples <= len(pcm); i += p.samples {
		k, err := p.enc.Encode(p.frame, pcm[i:i+p.samples])
		if err != nil {
			p.reset()
			return out[:0], fmt.Errorf("dtx packetiser: %w", err)
		}
		if k > 0 && len(p.buf) == 0 {
			p.ts = ts + uint32(i/p.samples)*p.tsPerFrame
		}
		switch {
		case k == 0:
			flush() // what came before (a voice frame of a codec with no SID after speech)
			p.silent = true
		case k < p.voiceBytes: // a SID ends its packet
			p.buf = append(p.buf, p.frame[:k]...)
			flush()
		default:
			p.buf = append(p.buf, p.frame[:k]...)
			p.voices++
			if p.voices == p.perPacket {
				flush()
			}
		}
	}
	// A voice frame begun in the period's second half stays in buf,
	// waiting for its pair.
	return out, nil
}

// reset drops a packet being filled (sending stopped, or a digit goes
// out): the next packet is marked.
func (p *dtxPacketiser) reset() {
	p.buf, p.voices, p.silent = p.buf[:0], 0, true
}
