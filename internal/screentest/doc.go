// Package screentest is what the screen tests share: the known pattern
// and its colours, the IVF framing that ffmpeg writes VP8 in (the unit
// tests of screen/live send frames ffmpeg made from the pattern), and a
// keyframe-only VP8 decoder in pure Go for the builds without screen/vp8.
package screentest
