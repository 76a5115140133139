package audio

// backend is what the package needs of an audio library. PortAudio is
// the real one (portaudio_cgo.go); tests use a fake.
type backend interface {
	// devices lists the devices the backend knows now.
	devices() (DeviceList, error)
	// open opens a mono 16-bit stream on the device with the id ("" = the
	// default), at rate if the device takes it, else at the device's own
	// rate. frames is the host buffer size at the requested rate; the
	// stream returned reports the rate it runs at.
	open(id string, input bool, rate int, frameSamples int, cb callback) (rawStream, error)
	// reload enumerates again; it must not be called with streams open.
	reload() error
	close() error
}

// rawStream is one open device stream. The backend calls the stream's
// callback from its own thread with each buffer: captured samples for an
// input, a buffer to fill for an output.
type rawStream interface {
	rate() int
	deviceID() string
	// abort stops at once, dropping what is queued, and releases the
	// device. It may wait for a callback in progress.
	abort() error
}

// streamEvent is what a backend with events says about a stream: the
// server took it away (gone), or moved it to another device (to).
type streamEvent struct {
	gone   bool
	reason string // gone: ReasonRemoved or ReasonError
	to     string // moved: the device id
}

// eventStream is a rawStream whose backend tells of its fate instead of
// leaving the stream to find out by stalling.
type eventStream interface {
	setEvents(func(streamEvent))
}

// callback handles one device buffer; it must not block or allocate.
type callback func(buf []int16)

func direction(input bool) string {
	if input {
		return "input"
	}
	return "output"
}
