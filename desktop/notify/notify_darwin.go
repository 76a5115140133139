package notify

import "context"

// open: macOS notifications with buttons come from the UserNotifications
// framework of a signed app bundle (the BPClient.app of the pkg) with the
// user's permission; this build does not link it.
func open(context.Context, Options) (Notifier, error) {
	return nil, unavailable("unavailable in this build: the macOS notification centre is not implemented yet")
}
