//go:build !linux && !windows && !darwin

package capture

func open(Options) (Capturer, error) {
	return nil, unavailable("screen capture is not in this build for this OS")
}
