package notify

import "context"

// open: a toast with buttons needs the WinRT ToastNotificationManager (COM,
// an AppUserModelID registered by the installer's Start-menu shortcut),
// and where toasts are off, a small always-on-top window of our own; this
// build has neither.
func open(context.Context, Options) (Notifier, error) {
	return nil, unavailable("unavailable in this build: Windows toasts are not implemented yet")
}
