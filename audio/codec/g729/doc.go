// Package g729 is a G.729 Annex A speech codec (8 kbit/s CS-ACELP, 10 ms
// frames of 80 samples at 8 kHz into 10 bytes) in pure Go, with Annex B
// comfort noise on receipt (2-byte SID frames, RFC 3551 4.5.6). NewEncoder
// sends voice frames only (annexb=no); NewEncoderDTX also sends Annex B
// SID frames, or nothing, in silence, with a voice activity detector of
// our own (vad.go: Annex B's decision boundaries are not among the tables
// we hold), for a peer that accepts Annex B.
//
// How it was written: clean-room, from the algorithm as ITU-T G.729
// (sections 3 and 4) and its Annexes A and B describe it in prose and
// equations. No implementation was read while writing it — not the ITU
// reference software, not bcg729, not ffmpeg's, nor any other — and no
// code was copied or translated from one. The Recommendation's numeric
// constants (codebooks, predictors, windows, filter coefficients) are in
// tables.go, transcribed as data by someone else and used unchanged;
// Annex B's second SID predictor, which tables.go leaves out, is derived
// in cng.go from the description (0.6 and 0.4 of the two voice
// predictors, which sidMAPredictorRest confirms). Everything else — the
// structure, the fixed-point arithmetic and its Q formats, the helpers —
// is our own, so the output is compatible with the Recommendation's
// bitstream but not bit-exact with its reference decoder.
//
// Where we chose rather than followed: the encoder's algebraic codebook
// search scores every combination of the first three tracks and
// completes the best six with the fourth (Annex A prunes differently),
// the gain quantiser tries all 128 pairs (the pre-selection only saves
// time), and concealment treats a subframe as voiced from a pitch gain
// of 0.25 (picked by the measurement below). Comfort noise is white
// Gaussian excitation at the SID's gain through the SID's synthesis
// filter, smoothed from frame to frame.
//
// How it is tested: against bcg729 and ffmpeg as black boxes, through
// their bitstreams and decoded audio only (audio/codec's G.729 tests,
// -tags g729, and sip's TestG729OnlyCall): on espeak-ng speech, bcg729's
// encoder into this decoder, this encoder into bcg729's, into ffmpeg's
// and into this decoder, each within 1 dB of segmental SNR of bcg729's
// own round trip; with 5% of frames lost, concealment no worse than
// bcg729's; tones at their frequency and level; bcg729's SID frames to
// comfort noise at the background's level, kept through lost frames, and
// ours to the same level through bcg729's decoder and ours; DTX keeping
// speech whole; a
// G.729-only call through Kamailio against bcg729, by frequency both
// ways. In this package: FuzzDecode and FuzzEncode, no allocations per
// frame, hard signals, and a digest that every platform must reproduce.
//
// Fixed point: signals and excitation are 16-bit integers (Q0), LSFs are
// radians in Q13, LSPs Q15, LP coefficients Q12, the adaptive gain Q14,
// the fixed gain Q1, code vectors Q13, impulse responses Q12; sums and
// energies are 64-bit. The saturating helpers are in fixed.go. There is
// no floating point, so every GOOS and GOARCH gives the same output.
//
// An Encoder or Decoder is one stream's state and is not safe for
// concurrent use.
package g729
