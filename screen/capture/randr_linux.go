package capture

import (
	"fmt"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/randr"
	"github.com/jezek/xgb/xproto"
)

// listScreens asks RandR for the monitors: 1.5's monitor list where the
// server has it (it includes monitors set with xrandr --setmonitor), the
// active CRTCs before that, and the whole root window without RandR.
func listScreens(conn *xgb.Conn, root xproto.Window) ([]Screen, error) {
	if randr.Init(conn) == nil {
		if v, err := randr.QueryVersion(conn, 1, 5).Reply(); err == nil {
			if v.MajorVersion > 1 || v.MinorVersion >= 5 {
				if s, err := randrMonitors(conn, root); err == nil && len(s) > 0 {
					return s, nil
				}
			}
			if s, err := randrCRTCs(conn, root); err == nil && len(s) > 0 {
				return s, nil
			}
		}
	}
	g, err := xproto.GetGeometry(conn, xproto.Drawable(root)).Reply()
	if err != nil {
		return nil, fmt.Errorf("capture: root window geometry: %w", err)
	}
	return []Screen{{Name: "screen", Primary: true, Width: int(g.Width), Height: int(g.Height)}}, nil
}

func randrMonitors(conn *xgb.Conn, root xproto.Window) ([]Screen, error) {
	r, err := randr.GetMonitors(conn, root, true).Reply()
	if err != nil {
		return nil, err
	}
	screens := make([]Screen, 0, len(r.Monitors))
	for i, m := range r.Monitors {
		name := fmt.Sprintf("monitor-%d", i)
		if a, err := xproto.GetAtomName(conn, m.Name).Reply(); err == nil && a.Name != "" {
			name = a.Name
		}
		screens = append(screens, Screen{Index: i, Name: name, Primary: m.Primary,
			X: int(m.X), Y: int(m.Y), Width: int(m.Width), Height: int(m.Height)})
	}
	return screens, nil
}

func randrCRTCs(conn *xgb.Conn, root xproto.Window) ([]Screen, error) {
	res, err := randr.GetScreenResourcesCurrent(conn, root).Reply()
	if err != nil {
		return nil, err
	}
	var primary randr.Output
	if p, err := randr.GetOutputPrimary(conn, root).Reply(); err == nil {
		primary = p.Output
	}
	var screens []Screen
	for _, crtc := range res.Crtcs {
		ci, err := randr.GetCrtcInfo(conn, crtc, res.ConfigTimestamp).Reply()
		if err != nil || ci.Width == 0 || ci.Height == 0 {
			continue
		}
		s := Screen{Index: len(screens), Name: fmt.Sprintf("crtc-%d", crtc),
			X: int(ci.X), Y: int(ci.Y), Width: int(ci.Width), Height: int(ci.Height)}
		for _, o := range ci.Outputs {
			s.Primary = s.Primary || (primary != 0 && o == primary)
		}
		screens = append(screens, s)
	}
	return screens, nil
}
