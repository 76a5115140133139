package screen

// Consumer takes the frames of a shared capture (screen/record's Feed):
// the recorder and the live monitoring's sender are two. Frame is called
// in the capture's goroutine with a frame the next grab overwrites: a
// consumer that keeps it copies it, and one that works long on it (an
// encoder) copies it and works elsewhere, so that the other consumers
// are not held up.
type Consumer interface {
	Frame(f *Frame)
	// GrabFailed is told each failed grab.
	GrabFailed(err error)
}

// PauseListener is a Consumer that hears when the capture stops grabbing
// for privacy (a recording paused: PCI, nothing of the paused screen may
// be captured, kept or shown) and when it grabs again.
type PauseListener interface {
	CapturePaused(paused bool)
}

// Eager is a Consumer that wants its first frame at once rather than at
// the next tick: a viewer that just connected looks at nothing until then.
type Eager interface {
	FrameAtOnce() bool
}
