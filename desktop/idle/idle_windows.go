package idle

// open: Windows needs GetLastInputInfo and WTSRegisterSessionNotification
// for lock and unlock; not in this build.
func open(Options) (Source, error) {
	return nil, unavailable("unavailable in this build: Windows input idle time is not implemented yet")
}
