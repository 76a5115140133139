// Package screentest is the screen tests' environment: a painter of the
// X root window (known colours at known places, changed at known times),
// and, while the project's own VP8 encoder and decoder are not in this
// build, an ffmpeg source (x11grab + libvpx, the real screen and the real
// codec) and an ffmpeg decoder, with the IVF framing between them.
package screentest
