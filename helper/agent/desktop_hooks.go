package agent

import "github.com/openbpclient/bpclient/helper/jsonrpc"

// The desktop API (helper/desktopapi) needs two things of the agent: to
// tell a local desktop application from the user's other clients (its
// hello says desktopApp: true), and to hear when a session ends, so that
// a page's attachment ends with it.

// SessionWatcher is a Service that wants to know when a session that
// said hello has closed.
type SessionWatcher interface {
	SessionClosed(caller *Call)
}

// maxClientName bounds a desktop application's name and version, which
// reach the page in every request it makes.
const maxClientName = 128

// checkDesktopApp refuses a desktop application's hello from anything but
// a local client (a page or the extension cannot pose as one) and one
// that gives no name.
func checkDesktopApp(p helloParams, kind string) *jsonrpc.Error {
	if !p.DesktopApp {
		return nil
	}
	if kind != kindLocal {
		return jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: desktopApp: only a local application may say hello as a desktop application")
	}
	if p.Client == "" || len(p.Client) > maxClientName || len(p.ClientVersion) > maxClientName {
		return jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: a desktop application's hello needs its name in client and its version in clientVersion, each at most %d bytes", maxClientName)
	}
	return nil
}

// sessionWatchers are the services that implement SessionWatcher.
func (s *Server) sessionWatchers() []SessionWatcher {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SessionWatcher
	for _, svc := range s.services {
		if w, ok := svc.(SessionWatcher); ok {
			out = append(out, w)
		}
	}
	return out
}

// announceClosed tells the watchers that ss has closed.
func (s *Server) announceClosed(ss *session) {
	c, ok := ss.caller()
	if !ok {
		return
	}
	for _, w := range s.sessionWatchers() {
		w.SessionClosed(c)
	}
}
