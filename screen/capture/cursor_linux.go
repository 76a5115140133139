package capture

import (
	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xfixes"
)

// initCursor readies XFixes, whose GetCursorImage returns the pointer's
// picture and position (the server wants the client's version first).
func initCursor(conn *xgb.Conn) error {
	if err := xfixes.Init(conn); err != nil {
		return err
	}
	_, err := xfixes.QueryVersion(conn, 4, 0).Reply()
	return err
}

// readCursor returns the pointer in root coordinates, or false when the
// server cannot say.
func readCursor(conn *xgb.Conn) (cursorImage, bool) {
	r, err := xfixes.GetCursorImage(conn).Reply()
	if err != nil || r.Width == 0 || len(r.CursorImage) < int(r.Width)*int(r.Height) {
		return cursorImage{}, false
	}
	return cursorImage{X: int(r.X) - int(r.Xhot), Y: int(r.Y) - int(r.Yhot),
		Width: int(r.Width), Height: int(r.Height), ARGB: r.CursorImage}, true
}
