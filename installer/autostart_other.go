//go:build !linux && !darwin && !windows

package installer

import (
	"context"
	"fmt"
)

// noAutostart stands in where we know no per-user service manager.
type noAutostart struct{}

func newAutostart(*Installer) (autostarter, error) { return noAutostart{}, nil }

func (noAutostart) install(context.Context, string, bool) ([]Step, error) {
	return nil, fmt.Errorf("start at login: %w", ErrUnsupported)
}

func (noAutostart) uninstall(context.Context) ([]Step, error) { return nil, nil }

func (noAutostart) status(context.Context) AutostartStatus {
	return AutostartStatus{Kind: "none", Problem: ErrUnsupported.Error()}
}
