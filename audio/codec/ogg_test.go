//go:build cgo && opus

package codec

import (
	"encoding/binary"
	"fmt"
)

// A minimal Ogg (RFC 3533) reader and writer for the Opus tests: opusenc
// writes and opusdec reads Ogg Opus files (RFC 7845).

var oggCRCTable = func() (t [256]uint32) {
	for i := range t {
		r := uint32(i) << 24
		for k := 0; k < 8; k++ {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return
}()

func oggCRC(b []byte) uint32 {
	var crc uint32
	for _, c := range b {
		crc = crc<<8 ^ oggCRCTable[byte(crc>>24)^c]
	}
	return crc
}

// oggPackets returns the packets of the first logical stream in b.
func oggPackets(b []byte) ([][]byte, error) {
	var packets [][]byte
	var cur []byte
	for len(b) > 0 {
		if len(b) < 27 || string(b[:4]) != "OggS" {
			return nil, fmt.Errorf("ogg: no page header at %d bytes from the end", len(b))
		}
		nseg := int(b[26])
		if len(b) < 27+nseg {
			return nil, fmt.Errorf("ogg: truncated segment table")
		}
		segs := b[27 : 27+nseg]
		body := b[27+nseg:]
		for _, l := range segs {
			if len(body) < int(l) {
				return nil, fmt.Errorf("ogg: truncated page body")
			}
			cur = append(cur, body[:l]...)
			body = body[l:]
			if l < 255 {
				packets = append(packets, cur)
				cur = nil
			}
		}
		size := 27 + nseg
		for _, l := range segs {
			size += int(l)
		}
		b = b[size:]
	}
	return packets, nil
}

// oggOpusFile wraps Opus packets (20 ms each, 960 samples) in an Ogg Opus
// file with a pre-skip of preSkip samples.
func oggOpusFile(packets [][]byte, preSkip int) []byte {
	var out []byte
	seq := uint32(0)
	page := func(flags byte, granule int64, packet []byte) {
		h := make([]byte, 27, 27+len(packet)/255+1+len(packet))
		copy(h, "OggS")
		h[5] = flags
		binary.LittleEndian.PutUint64(h[6:], uint64(granule))
		binary.LittleEndian.PutUint32(h[14:], 0x62706331) // serial
		binary.LittleEndian.PutUint32(h[18:], seq)
		seq++
		n := len(packet)
		for n >= 255 {
			h = append(h, 255)
			n -= 255
		}
		h = append(h, byte(n))
		h[26] = byte(len(h) - 27)
		h = append(h, packet...)
		binary.LittleEndian.PutUint32(h[22:], oggCRC(h))
		out = append(out, h...)
	}
	head := []byte("OpusHead\x01\x01\x00\x00\x80\xbb\x00\x00\x00\x00\x00")
	binary.LittleEndian.PutUint16(head[10:], uint16(preSkip))
	page(2, 0, head)
	page(0, 0, []byte("OpusTags\x08\x00\x00\x00bpclient\x00\x00\x00\x00"))
	granule := int64(0)
	for i, p := range packets {
		granule += 960
		flags := byte(0)
		if i == len(packets)-1 {
			flags = 4
		}
		page(flags, granule, p)
	}
	return out
}
