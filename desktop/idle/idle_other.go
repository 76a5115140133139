//go:build !linux && !windows && !darwin

package idle

func open(Options) (Source, error) { return nil, unavailable("unavailable on this OS") }
