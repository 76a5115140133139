// Package g729 is a G.729 Annex A speech codec (8 kbit/s CELP, 10 ms
// frames of 80 samples at 8 kHz into 10 bytes) in pure Go, with Annex B
// comfort noise on receipt (2-byte SID frames, RFC 3551 4.5.6).
//
// How it was written: clean-room, from the algorithm as ITU-T G.729
// (sections 3 and 4) and its Annexes A and B describe it in prose and
// equations. No implementation was read while writing it — not the ITU
// reference software, not bcg729, not ffmpeg's, nor any other — and no
// code was copied or translated from one. The Recommendation's numeric
// constants (codebooks, predictors, windows, filter coefficients) are in
// tables.go, transcribed as data by someone else; everything else (the
// structure, the fixed-point arithmetic and its Q formats, the helpers)
// is our own, so the output is not bit-exact with the reference, only
// compatible with it.
//
// How it is tested: against bcg729 and ffmpeg as black boxes, through
// their bitstreams and their decoded audio only (audio/codec's G.729
// tests, with -tags g729): bcg729's encoder into this decoder on espeak-ng
// speech within 1 dB of segmental SNR of bcg729's own round trip, tones
// at their frequency and level, bcg729's SID frames decoded to comfort
// noise at the background's level, and FuzzDecode for arbitrary input.
//
// Fixed point: signals and excitation are 16-bit integers (Q0), LSFs are
// radians in Q13, LSPs Q15, LP coefficients Q12, the adaptive gain Q14,
// the fixed gain Q1, code vectors Q13, energies 64-bit. The saturating
// helpers are in fixed.go. A frame allocates nothing.
//
// A Decoder is one stream's state and is not safe for concurrent use.
package g729
