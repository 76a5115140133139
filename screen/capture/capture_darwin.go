package capture

// open on macOS: ScreenCaptureKit (or the CoreGraphics display stream)
// needs cgo and a signed app with the screen-recording permission, which
// this build is not.
func open(Options) (Capturer, error) {
	return nil, unavailable("screen capture on macOS is not in this build")
}
