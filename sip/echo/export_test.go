package echo

import "time"

// DemoSettle is how long after For RunDemo hangs up.
const DemoSettle = demoSettle

// SetDemoClock makes RunDemo take its time from c.
func SetDemoClock(o *DemoOptions, c interface {
	Now() time.Time
	After(d time.Duration) (<-chan time.Time, func())
	Every(d time.Duration) (<-chan time.Time, func())
}) {
	o.clock = c
}
