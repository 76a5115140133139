// Package codec holds the voice codecs: G.711 (PCMU, PCMA), G.722 and
// G.729 Annex A (audio/codec/g729) in pure Go, Opus through cgo behind a
// build tag. Every codec works
// on frames of 16-bit mono PCM at its own SampleRate; resampling to and
// from the devices' rates is the audio package's job.
//
// Build tags: the cgo codecs are opt-in so that a plain `go build` needs
// no C libraries. `-tags opus` (with cgo and libopus-dev) adds Opus,
// `-tags g729` (with cgo and libbcg729-dev) adds only the tests against
// bcg729, a reference for our G.729; `make test` sets both. Without cgo
// the tags are ignored and Available simply omits Opus.
//
// Decoders of codecs with packet loss concealment also implement
// Concealer; the cgo encoders and decoders implement io.Closer to free
// their C state early (the garbage collector frees it otherwise).
package codec

// Info describes a codec as SDP and RTP see it.
type Info struct {
	Name        string // SDP encoding name: "PCMU", "G722", "opus"
	PayloadType uint8  // the static RTP payload type, or a default dynamic one
	Static      bool   // whether PayloadType is assigned by RFC 3551
	ClockRate   int    // RTP clock rate (8000 for G.722, by RFC 3551's erratum)
	SampleRate  int    // PCM rate the encoder takes and the decoder gives
	Channels    int    // channels in SDP (Opus says 2; we still code mono)
	FMTP        string // default a=fmtp parameters, if any
}

// Encoder turns one frame of PCM into a payload. It returns the payload's
// length in dst. Encoders keep state between frames; one per stream.
type Encoder interface {
	Encode(dst []byte, pcm []int16) (int, error)
}

// Decoder turns one payload into PCM and returns the number of samples
// written to dst.
type Decoder interface {
	Decode(dst []int16, payload []byte) (int, error)
}

// Codec makes encoders and decoders.
type Codec interface {
	Info() Info
	NewEncoder() (Encoder, error)
	NewDecoder() (Decoder, error)
}
