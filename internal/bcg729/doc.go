// Package bcg729 wraps bcg729 (GPL-3.0), Belledonne's G.729 Annex A
// codec, through cgo. It exists for test builds (-tags g729) as the
// black-box reference that our own G.729 (audio/codec/g729) is measured
// against (audio/codec's quality tests, the end-to-end G.729 call). Releases never
// link it: scripts/release.sh builds without the g729 tag, and this
// package is internal so nothing outside the module can depend on it.
//
// The types carry no audio/codec types so that audio/codec can import
// this package; their method sets match codec.Encoder, codec.Decoder,
// codec.Concealer and io.Closer.
//
// Without cgo and the g729 tag the package is empty.
package bcg729
