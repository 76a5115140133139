//go:build !linux && !windows && !darwin

package notify

import "context"

func open(context.Context, Options) (Notifier, error) {
	return nil, unavailable("unavailable on this OS")
}
