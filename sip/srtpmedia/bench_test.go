package srtpmedia

import (
	"testing"

	"github.com/pion/rtp"
)

// A 20 ms G.711 packet: 12-byte header, 160-byte payload.
const benchPayload = 160

// BenchmarkPlainRTP is the path without SRTP: parse the header and copy
// the packet, what the RTP path does with every packet anyway.
func BenchmarkPlainRTP(b *testing.B) {
	plain := rtpPacket(b, 1, make([]byte, benchPayload))
	dst := make([]byte, 0, 1600)
	var h rtp.Header
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Unmarshal(plain); err != nil {
			b.Fatal(err)
		}
		dst = append(dst[:0], plain...)
	}
}

func BenchmarkProtectRTP(b *testing.B) {
	for _, suite := range suites() {
		b.Run(suite, func(b *testing.B) {
			a, _ := pair(b, suite)
			plain := rtpPacket(b, 1, make([]byte, benchPayload))
			dst := make([]byte, 0, 1600)
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			seq := uint16(1)
			for b.Loop() {
				plain[2], plain[3] = byte(seq>>8), byte(seq)
				seq++
				var err error
				if dst, err = a.ProtectRTP(dst[:0], plain); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUnprotectRTP decrypts a stream with rising sequence numbers
// (replay protection on); the packets are made in batches off the clock.
func BenchmarkUnprotectRTP(b *testing.B) {
	for _, suite := range suites() {
		b.Run(suite, func(b *testing.B) {
			a, r := pair(b, suite)
			plain := rtpPacket(b, 1, make([]byte, benchPayload))
			const batch = 4096
			wire := make([][]byte, batch)
			for i := range wire {
				wire[i] = make([]byte, 0, 1600)
			}
			dst := make([]byte, 0, 1600)
			seq := uint16(1)
			fill := func() {
				for i := range wire {
					plain[2], plain[3] = byte(seq>>8), byte(seq)
					seq++
					var err error
					if wire[i], err = a.ProtectRTP(wire[i][:0], plain); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			i := batch
			for b.Loop() {
				if i == batch {
					b.StopTimer()
					fill()
					i = 0
					b.StartTimer()
				}
				var err error
				if dst, err = r.UnprotectRTP(dst[:0], wire[i]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
