package notify

import "context"

// open: macOS pop-ups with buttons come from the UserNotifications
// framework, and UNUserNotificationCenter serves only a process inside a
// signed app bundle (it needs a bundle identifier, and the user's
// permission asked for in that bundle's name), answering through a
// delegate object on the main thread's run loop. The agent is a plain
// executable started by the browser's host or launchd, outside
// BPClient.app; through purego it could load the framework, not become
// a bundle. So pages offer their own buttons on macOS.
func open(context.Context, Options) (Notifier, error) {
	return nil, unavailable("unavailable in this build: macOS notifications with buttons need UNUserNotificationCenter " +
		"inside the signed BPClient.app bundle with a delegate on its main run loop; the agent runs outside the bundle")
}
