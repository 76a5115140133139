package doctor

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// PhoneTarget is where the configured phone signs in, as the network
// checks probe it.
type PhoneTarget struct {
	Configured bool
	// Server is "host[:port]", or several separated by commas; the
	// first is probed.
	Server    string
	Transport string // "udp", "tcp" or "tls"
	// RTPPortMin and RTPPortMax bound the call's audio ports.
	RTPPortMin, RTPPortMax int
}

// NetworkProbe says which phone server to probe.
type NetworkProbe func(ctx context.Context) PhoneTarget

// networkProbeTimeout bounds each step of the server probe: the doctor
// answers while an agent waits.
const networkProbeTimeout = 3 * time.Second

// NetworkCheck probes the phone server as the phone reaches it (the name
// resolves; on UDP it answers an OPTIONS, on TCP it accepts, on TLS it
// completes a handshake) and opens a pair of the call's audio ports.
// Pages do not get it: the phone may be another origin's.
func NetworkCheck(probe NetworkProbe) Check {
	return func(ctx context.Context, view View) []Result {
		if view.Origin != "" {
			return nil
		}
		t := probe(ctx)
		return []Result{serverCheck(ctx, t), rtpPortCheck(t)}
	}
}

func serverCheck(ctx context.Context, t PhoneTarget) Result {
	res := Result{ID: "network.sip", Title: "The phone server answers", Status: OK}
	if !t.Configured || strings.TrimSpace(t.Server) == "" {
		res.Found = "no phone is set up"
		return res
	}
	transport := strings.ToLower(t.Transport)
	if transport == "" {
		transport = "udp"
	}
	host, port, err := serverHostPort(t.Server, transport)
	if err != nil {
		res.Status, res.Found = Failed, "the phone server's address is not valid: "+err.Error()
		res.Fix = failureFix(FailureNameNotResolved)
		return res
	}
	addr := net.JoinHostPort(host, port)
	rctx, cancel := context.WithTimeout(ctx, networkProbeTimeout)
	defer cancel()
	ips, err := net.DefaultResolver.LookupHost(rctx, host)
	if err != nil || len(ips) == 0 {
		res.Status, res.Found, res.Fix = Failed, FailureNameNotResolved+" ("+host+")", failureFix(FailureNameNotResolved)
		return res
	}
	target := net.JoinHostPort(ips[0], port)
	on := strings.ToUpper(transport) + " port " + port
	switch err := reach(ctx, transport, target, host); {
	case err == nil:
		res.Found = "the phone server " + addr + " answers on " + on
	case errors.Is(err, errNoAnswer):
		res.Status, res.Found, res.Fix = Failed, FailureTimeout+" on "+on+" ("+addr+")", failureFix(FailureTimeout)
	default:
		res.Status, res.Found, res.Fix = Failed, FailureUnreachable+" on "+on+" ("+addr+"): "+err.Error(), failureFix(FailureUnreachable)
	}
	return res
}

// serverHostPort is the first server of a list, with the transport's
// default port when it names none.
func serverHostPort(server, transport string) (host, port string, err error) {
	first := strings.TrimSpace(strings.Split(server, ",")[0])
	first = strings.TrimPrefix(strings.TrimPrefix(first, "sips:"), "sip:")
	host, port, err = net.SplitHostPort(first)
	if err != nil {
		host, port = first, "5060"
		if transport == "tls" {
			port = "5061"
		}
	}
	if host == "" {
		return "", "", errors.New("no host")
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", "", fmt.Errorf("port %q", port)
	}
	return host, port, nil
}

// errNoAnswer is a server that took the probe and said nothing.
var errNoAnswer = errors.New("no answer")

// reach probes addr on transport.
func reach(ctx context.Context, transport, addr, name string) error {
	ctx, cancel := context.WithTimeout(ctx, networkProbeTimeout)
	defer cancel()
	var d net.Dialer
	switch transport {
	case "udp":
		return optionsOverUDP(ctx, addr, name)
	case "tcp", "tls":
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return dialError(err)
		}
		defer conn.Close()
		if transport == "tcp" {
			return nil
		}
		// Only that it speaks TLS: whether its certificate is trusted is
		// the phone check's (the registration's own TLS), and nothing is
		// sent over this connection.
		tc := tls.Client(conn, &tls.Config{ServerName: name, InsecureSkipVerify: true})
		if err := tc.HandshakeContext(ctx); err != nil {
			if ctx.Err() != nil {
				return errNoAnswer
			}
			return fmt.Errorf("no TLS: %v", err)
		}
		return nil
	}
	return fmt.Errorf("unknown transport %q", transport)
}

func dialError(err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return errors.New("nothing takes connections there")
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return errNoAnswer
	}
	return err
}

// optionsOverUDP sends a SIP OPTIONS (RFC 3261 section 11) and waits for
// any response to it: a server that answers, even 401 or 404, is there.
// A port unreachable (ICMP) reads as refused.
func optionsOverUDP(ctx context.Context, addr, name string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return dialError(err)
	}
	defer conn.Close()
	req, callID := optionsRequest(conn.LocalAddr().String(), name)
	buf := make([]byte, 4096)
	deadline, _ := ctx.Deadline()
	for try := 0; try < 3; try++ {
		if _, err := conn.Write(req); err != nil {
			return dialError(err)
		}
		// RFC 3261's T1 is 500 ms; the last try waits for the rest.
		wait := time.Now().Add(500 * time.Millisecond << try)
		if try == 2 || wait.After(deadline) {
			wait = deadline
		}
		conn.SetReadDeadline(wait)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break
				}
				return dialError(err)
			}
			if isResponseTo(buf[:n], callID) {
				return nil
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	return errNoAnswer
}

// optionsRequest is an out-of-dialog OPTIONS from local to the server
// name, and its Call-ID.
func optionsRequest(local, name string) ([]byte, string) {
	var b [8]byte
	rand.Read(b[:])
	tag := hex.EncodeToString(b[:])
	callID := "doctor-" + tag
	msg := "OPTIONS sip:" + name + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK" + tag + ";rport\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:bpclient-doctor@" + name + ">;tag=" + tag + "\r\n" +
		"To: <sip:" + name + ">\r\n" +
		"Call-ID: " + callID + "\r\n" +
		"CSeq: 1 OPTIONS\r\n" +
		"Accept: application/sdp\r\n" +
		"User-Agent: bpclient-doctor\r\n" +
		"Content-Length: 0\r\n\r\n"
	return []byte(msg), callID
}

// isResponseTo reports whether a datagram is a SIP response carrying
// callID.
func isResponseTo(msg []byte, callID string) bool {
	s := string(msg)
	return strings.HasPrefix(s, "SIP/2.0 ") && strings.Contains(s, callID)
}

// rtpPortTries is how many even ports of the range the check tries.
const rtpPortTries = 16

func rtpPortCheck(t PhoneTarget) Result {
	res := Result{ID: "network.rtp", Title: "The call's audio can use the network", Status: OK}
	lo, hi := t.RTPPortMin, t.RTPPortMax
	if lo == 0 && hi == 0 {
		lo, hi = 10000, 20000 // the sip package's default range
	}
	lo += lo % 2
	pairs := (hi - lo) / 2
	if pairs < 1 {
		res.Status, res.Found = Failed, fmt.Sprintf("the audio port range %d-%d has no room for a call", t.RTPPortMin, t.RTPPortMax)
		res.Fix = "Ask IT to widen BPClient's audio port range (rtpPortMin, rtpPortMax)."
		return res
	}
	var b [2]byte
	rand.Read(b[:])
	start := int(b[0])<<8 | int(b[1])
	var lastErr error
	for i := 0; i < min(rtpPortTries, pairs); i++ {
		port := lo + 2*((start+i)%pairs)
		if lastErr = bindPair(port); lastErr == nil {
			res.Found = fmt.Sprintf("audio ports can be opened (%d-%d)", lo, hi)
			return res
		}
	}
	res.Status = Failed
	res.Found = fmt.Sprintf("no audio port between %d and %d can be opened: %v", lo, hi, lastErr)
	res.Fix = "Close other softphone programs, or ask IT whether a security program keeps BPClient from the network."
	return res
}

// bindPair opens and closes the RTP and RTCP ports of port.
func bindPair(port int) error {
	a, err := net.ListenPacket("udp", ":"+strconv.Itoa(port))
	if err != nil {
		return err
	}
	defer a.Close()
	b, err := net.ListenPacket("udp", ":"+strconv.Itoa(port+1))
	if err != nil {
		return err
	}
	return b.Close()
}
