package idle

import (
	"context"
	"os"
	"strings"

	"github.com/godbus/dbus/v5"

	"github.com/openbpclient/bpclient/desktop/internal/sessionbus"
)

// The lock sources of Linux sessions, by the names Details gives.
const (
	LockScreenSaver = "freedesktop-screensaver"
	LockLogind      = "logind-lockedhint"
)

const (
	logindName      = "org.freedesktop.login1"
	logindPath      = dbus.ObjectPath("/org/freedesktop/login1")
	logindManager   = "org.freedesktop.login1.Manager"
	logindSession   = "org.freedesktop.login1.Session"
	logindUserSelf  = dbus.ObjectPath("/org/freedesktop/login1/user/self")
	logindUserIface = "org.freedesktop.login1.User"
)

// locks are a session's lock sources: it is locked when one says so (the
// ScreenSaver of GNOME and KDE, logind's LockedHint, which lock screens
// set through loginctl lock-session and most Wayland lockers too).
type locks struct {
	saver  *screenLock
	logind *logindLock
}

func openLocks(sessionBus *dbus.Conn, opts Options) locks {
	var l locks
	if sessionBus != nil {
		l.saver = &screenLock{obj: sessionBus.Object(saverName, saverPath)}
	} else {
		l.saver = openScreenLock(opts.BusAddress)
	}
	if !l.saver.answers() {
		l.saver.close()
		l.saver = nil
	}
	l.logind = openLogind(opts.SystemBusAddress)
	return l
}

func (l locks) locked(ctx context.Context) bool {
	return l.saver.locked(ctx) || l.logind.locked(ctx)
}

// name lists the sources that answered at open ("" for none).
func (l locks) name() string {
	var names []string
	if l.saver != nil {
		names = append(names, LockScreenSaver)
	}
	if l.logind != nil {
		names = append(names, LockLogind)
	}
	return strings.Join(names, "+")
}

func (l locks) close() {
	l.saver.close()
	l.logind.close()
}

// answers: the session bus has a ScreenSaver that answers GetActive.
func (l *screenLock) answers() bool {
	if l == nil {
		return false
	}
	var active bool
	return l.obj.Call(saverInterface+".GetActive", 0).Store(&active) == nil
}

// logindLock reads LockedHint of this process's logind session on the
// system bus.
type logindLock struct {
	conn    *dbus.Conn
	session dbus.BusObject
}

// openLogind finds this session: $XDG_SESSION_ID, else the session of
// this process, else the user's display session (an agent started by a
// user service is in no session itself). nil without logind.
func openLogind(address string) *logindLock {
	conn, err := sessionbus.ConnectSystem(address)
	if err != nil {
		return nil
	}
	mgr := conn.Object(logindName, logindPath)
	var path dbus.ObjectPath
	if id := os.Getenv("XDG_SESSION_ID"); id != "" {
		err = mgr.Call(logindManager+".GetSession", 0, id).Store(&path)
	}
	if path == "" {
		err = mgr.Call(logindManager+".GetSessionByPID", 0, uint32(os.Getpid())).Store(&path)
	}
	if path == "" {
		var display struct {
			ID   string
			Path dbus.ObjectPath
		}
		if v, gerr := conn.Object(logindName, logindUserSelf).GetProperty(logindUserIface + ".Display"); gerr == nil {
			if gerr = dbus.Store([]any{v.Value()}, &display); gerr == nil && display.Path != "/" {
				path, err = display.Path, nil
			}
		}
	}
	if err != nil || path == "" {
		conn.Close()
		return nil
	}
	l := &logindLock{conn: conn, session: conn.Object(logindName, path)}
	if _, err := l.session.GetProperty(logindSession + ".LockedHint"); err != nil {
		conn.Close()
		return nil
	}
	return l
}

func (l *logindLock) locked(ctx context.Context) bool {
	if l == nil {
		return false
	}
	var v dbus.Variant
	if err := l.session.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, logindSession, "LockedHint").Store(&v); err != nil {
		return false
	}
	b, _ := v.Value().(bool)
	return b
}

func (l *logindLock) close() {
	if l != nil {
		l.conn.Close()
	}
}
