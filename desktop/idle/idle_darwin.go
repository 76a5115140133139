package idle

// open: macOS needs IOKit's HIDIdleTime (cgo) and the session's lock
// notifications; not in this build.
func open(Options) (Source, error) {
	return nil, unavailable("unavailable in this build: macOS input idle time is not implemented yet")
}
