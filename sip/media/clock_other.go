//go:build !linux

package media

import "time"

func newFrameClock(d time.Duration) frameClock { return newTickerClock(d) }
