//go:build !linux

package sip

import "time"

func newFrameClock(d time.Duration) frameClock { return newTickerClock(d) }
