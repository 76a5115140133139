package idle

import "time"

// sinceTick is the time from a 32-bit millisecond tick count to another
// (Windows' GetTickCount and GetLastInputInfo): the counters wrap after
// 49.7 days, and an unsigned subtraction is right across the wrap, where
// comparing them as numbers would see the last input in the future.
func sinceTick(now, then uint32) time.Duration {
	return time.Duration(now-then) * time.Millisecond
}
