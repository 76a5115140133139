package capture

import "os"

// open on Linux: the X server of o.Display or $DISPLAY. A Wayland session
// without one (or with only Xwayland, whose root window shows X clients
// and none of the Wayland ones) is not captured yet: that needs the
// desktop portal's ScreenCast with a PipeWire stream.
func open(o Options) (Capturer, error) {
	display := o.Display
	if display == "" {
		display = os.Getenv("DISPLAY")
	}
	wayland := os.Getenv("WAYLAND_DISPLAY") != ""
	if display == "" {
		if wayland {
			return nil, unavailable("not available on Wayland yet")
		}
		return nil, unavailable("no X display ($DISPLAY is empty)")
	}
	c, err := openX11(display, o.Screens, true)
	if err != nil {
		if wayland {
			return nil, unavailable("not available on Wayland yet (and no X server at " + display + ")")
		}
		return nil, err
	}
	return c, nil
}
