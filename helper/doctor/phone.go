package doctor

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// RegistrationEvent is one registration.state the phone published, as
// the agent's support history keeps them.
type RegistrationEvent struct {
	At     time.Time
	State  string // "registered", "unregistered", "failed", "lost"
	Reason string
	Server string
}

// PhoneProbe returns the phone's registration changes since the agent
// started, oldest first.
type PhoneProbe func(ctx context.Context) ([]RegistrationEvent, error)

// Registration failures, as PhoneCheck names them in its Found text.
const (
	FailureNameNotResolved = "the phone server's name is not found"
	FailureUnreachable     = "the phone server cannot be reached"
	FailureTLSUntrusted    = "the phone server's certificate is not trusted"
	FailureTLSExpired      = "the phone server's certificate has expired"
	FailureTLSWrongName    = "the phone server's certificate is for another name"
	FailureCredentials     = "the phone server refused the user name or password"
	FailureTimeout         = "the phone server does not answer"
	FailureKeepAliveLost   = "the connection to the phone server was lost"
	FailureOther           = "the phone server refused the registration"
)

// failureFix says what the agent can do about each failure.
func failureFix(k string) string {
	switch k {
	case FailureNameNotResolved:
		return "Check the phone server's name in the Agent Desktop's settings; if it is right, ask IT why your network cannot find it."
	case FailureUnreachable:
		return "Check your network or VPN connection; if it works, tell IT that the phone server may be down."
	case FailureTLSUntrusted:
		return "Ask IT to add the phone server's certificate authority to BPClient's administrator policy (caFile)."
	case FailureTLSExpired:
		return "Tell IT that the phone server's certificate has expired; it cannot be fixed on this computer."
	case FailureTLSWrongName:
		return "Check the phone server's name in the Agent Desktop's settings, or tell IT that its certificate names another server."
	case FailureCredentials:
		return "Check your phone user name and password in the Agent Desktop, or ask IT to reset them."
	case FailureTimeout:
		return "Check your network or VPN connection; if others have the same problem, the phone server may be down."
	case FailureKeepAliveLost:
		return "Check your network (Wi-Fi, VPN); the phone reconnects by itself when the connection comes back."
	case FailureOther:
		return "Tell IT what the phone server answered (shown above)."
	}
	return ""
}

// ClassifyRegistration names what went wrong in a failed or lost
// registration, from the reason the sip package gave. A registration
// that was up and went is lost, whatever the retries say since.
func ClassifyRegistration(ev RegistrationEvent) string {
	if ev.State == "lost" {
		return FailureKeepAliveLost
	}
	return classifyReason(ev.Reason)
}

// classifyReason names the cause a reason text gives.
func classifyReason(reason string) string {
	r := strings.ToLower(reason)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(r, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("keep-alive"):
		return FailureKeepAliveLost
	case has("unknown authority"):
		return FailureTLSUntrusted
	case has("certificate expired", "not yet valid"):
		return FailureTLSExpired
	case has("wrong name"):
		return FailureTLSWrongName
	case has("no such host", "lookup ", "cannot resolve", "server misbehaving"):
		return FailureNameNotResolved
	case has("wrong username or password", "(401", "(403", "(407", "refused the account"):
		return FailureCredentials
	// The sip package cuts long errors at 120 characters, which can
	// leave "connect: conne" of "connect: connection refused".
	case has("connection refused", "connect: conn", "unreachable", "no route to host", "network is down"):
		return FailureUnreachable
	case has("no answer", "timeout", "timed out"):
		return FailureTimeout
	}
	return FailureOther
}

// PhoneCheck reports the phone's registration and, when it failed or was
// lost, why, classified, with the fix. Pages are not told: a page hears
// its own phone's registration.state, and the phone may be another
// origin's; local clients and the extension's popup are.
func PhoneCheck(probe PhoneProbe) Check {
	return func(ctx context.Context, view View) []Result {
		if view.Origin != "" {
			return nil
		}
		res := Result{ID: "phone.registration", Title: "The SIP phone is connected", Status: OK}
		events, err := probe(ctx)
		if err != nil {
			res.Status = Warning
			res.Found = "the phone's registration is not known: " + err.Error()
			res.Fix = "Open the Agent Desktop page so the helper starts, then check again."
			return []Result{res}
		}
		if len(events) == 0 {
			res.Found = "the phone has not been set up since the helper started"
			return []Result{res}
		}
		last := events[len(events)-1]
		since := last.At.UTC().Format(time.RFC3339)
		switch last.State {
		case "registered":
			res.Found = fmt.Sprintf("registered at %s since %s", last.Server, since)
			if f, ok := lastFailure(events); ok {
				res.Found += fmt.Sprintf("; before that, at %s: %s (%s)", f.At.UTC().Format(time.RFC3339), ClassifyRegistration(f), f.Reason)
			}
		case "unregistered":
			res.Found = "the Agent Desktop signed the phone out at " + since
		default:
			kind, cause := ClassifyRegistration(last), classifyReason(last.Reason)
			res.Status = Failed
			res.Fix = failureFix(kind)
			if kind != cause {
				switch cause {
				case FailureKeepAliveLost, FailureTimeout, FailureOther:
				default:
					// Lost, and the retries now say why: that is
					// what to fix.
					kind += "; now " + cause
					res.Fix = failureFix(cause)
				}
			}
			res.Found = fmt.Sprintf("%s (%s, since %s)", kind, last.Reason, since)
		}
		return []Result{res}
	}
}

func lastFailure(events []RegistrationEvent) (RegistrationEvent, bool) {
	for i := len(events) - 1; i >= 0; i-- {
		if s := events[i].State; s == "failed" || s == "lost" {
			return events[i], true
		}
	}
	return RegistrationEvent{}, false
}
