//go:build !(cgo && opus)

package codec

// cgoCodecs are the codecs of this build that need cgo: none without cgo
// and the opus tag.
func cgoCodecs() []entry { return nil }
