package siptest

import (
	"bytes"
	"cmp"
	_ "embed"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/testpeers"
)

//go:embed kamailio.cfg.tmpl
var kamailioCfg string

// User is one SIP account on the test registrar.
type User struct {
	Name     string
	Password string
}

// KamailioOptions configure StartKamailio.
type KamailioOptions struct {
	Users []User
	// Algorithm is the digest algorithm of the challenges: "MD5" (default)
	// or "SHA-256".
	Algorithm string
	// TLS, when set, adds a TLS listener (Kamailio.TLSPort) serving this
	// certificate.
	TLS *ServerCert
	// MangleFingerprint rewrites the first hex digit of every sha-256
	// a=fingerprint (always to another value), as an attacker on the
	// signalling path would, in the SDP of "replies" (the callee's DTLS
	// certificate then does not match what the caller was told) or of
	// "requests" (the caller's does not match what the callee was told).
	MangleFingerprint string
	// ShortHoldAnswerKey replaces the a=crypto of every SDP reply that
	// accepts a hold (a=recvonly) by one whose key is 20 bytes, too short
	// for its suite: a peer whose answer commits it to keys the holder
	// cannot use.
	ShortHoldAnswerKey bool
	// NoRecordRoute keeps Kamailio out of the dialogs it sets up (no
	// Record-Route), as an outbound proxy that does not record-route:
	// only the first request's transaction and its CANCEL go through it.
	NoRecordRoute bool
	// NoCRLFPong makes Kamailio ignore RFC 5626 CRLF pings on TCP and TLS
	// (tcp_crlf_ping=no), as a server without keep-alive support would.
	NoCRLFPong bool
	// Realm is the digest realm of Kamailio's challenges; empty: the From
	// domain (what phones configured for 127.0.0.1 expect).
	Realm string
	// RTPRelay, when set, puts the relay on the RTP path of calls
	// between the phone and baresip (see RTPRelay).
	RTPRelay *RTPRelay
	// LogSecrets writes to Kamailio's log (lines starting "SECRET") every
	// Authorization header (the digest response) and the first a=crypto
	// line of every SDP it relays: what a test must then not find
	// anywhere else.
	LogSecrets bool
}

// Kamailio is a running registrar/proxy on 127.0.0.1:Port (UDP and TCP).
type Kamailio struct {
	Port int
	// TLSPort is the TLS listener's port when KamailioOptions.TLS is set.
	TLSPort int
	defines []string // -A flags for the config's #!ifdef blocks
	dir     string
	t       testing.TB

	mu  sync.Mutex
	cmd *exec.Cmd
	log *bytes.Buffer
	old string // log of earlier runs (before a restart)
	// done is closed when the process has been reaped.
	done chan struct{}
}

// DefaultUsers are the accounts most tests use.
var DefaultUsers = []User{{"1001", "secret1"}, {"1002", "secret2"}, {"1003", "secret3"}}

// StartKamailio writes a config and user table under a temporary
// directory, starts Kamailio on a free loopback port and waits until it
// answers OPTIONS. Without kamailio installed the test is skipped, or
// fails where the real peers are required (testpeers.Missing).
func StartKamailio(t testing.TB, opts KamailioOptions) *Kamailio {
	t.Helper()
	if _, err := exec.LookPath("kamailio"); err != nil {
		testpeers.Missing(t, "kamailio not installed: scripts/deps.sh installs it")
		return nil
	}
	if len(opts.Users) == 0 {
		opts.Users = DefaultUsers
	}
	if opts.Algorithm == "" {
		opts.Algorithm = "MD5"
	}
	mods, _ := filepath.Glob("/usr/lib/*/kamailio/modules/tm.so")
	if len(mods) == 0 {
		testpeers.Missing(t, "kamailio's modules not found under /usr/lib/*/kamailio/modules: scripts/deps.sh installs them")
		return nil
	}
	dir := t.TempDir()
	dbdir := filepath.Join(dir, "db")
	must(t, os.MkdirAll(filepath.Join(dir, "run"), 0o755))
	must(t, os.MkdirAll(dbdir, 0o755))
	var sub strings.Builder
	sub.WriteString("id(int,auto) username(string) domain(string) password(string) ha1(string,null) ha1b(string,null) \n")
	for i, u := range opts.Users {
		fmt.Fprintf(&sub, "%d:%s:127.0.0.1:%s::\n", i+1, u.Name, u.Password)
	}
	must(t, os.WriteFile(filepath.Join(dbdir, "subscriber"), []byte(sub.String()), 0o644))
	must(t, os.WriteFile(filepath.Join(dbdir, "version"), []byte("id(int,auto) table_name(string) table_version(int) \n1:subscriber:7\n"), 0o644))

	k := &Kamailio{Port: FreePort(t), dir: dir, t: t}
	tlsCert, tlsKey := "", ""
	if opts.TLS != nil {
		k.TLSPort = FreePort(t)
		k.defines = append(k.defines, "-A", "WITH_TLS")
		tlsCert, tlsKey = opts.TLS.CertFile, opts.TLS.KeyFile
	}
	switch opts.MangleFingerprint {
	case "":
	case "replies":
		k.defines = append(k.defines, "-A", "WITH_MANGLE_FP")
	case "requests":
		k.defines = append(k.defines, "-A", "WITH_MANGLE_FP_REQ")
	default:
		t.Fatalf("MangleFingerprint %q: want replies or requests", opts.MangleFingerprint)
	}
	if opts.ShortHoldAnswerKey {
		k.defines = append(k.defines, "-A", "WITH_SHORT_HOLD_KEY")
	}
	if opts.NoRecordRoute {
		k.defines = append(k.defines, "-A", "NO_RECORD_ROUTE")
	}
	if opts.NoCRLFPong {
		k.defines = append(k.defines, "-A", "NO_CRLF_PONG")
	}
	if opts.LogSecrets {
		k.defines = append(k.defines, "-A", "WITH_LOG_SECRETS")
	}
	relayPhone, relayBaresip := 0, 0
	if opts.RTPRelay != nil {
		k.defines = append(k.defines, "-A", "WITH_RTP_RELAY")
		relayPhone, relayBaresip = opts.RTPRelay.PhoneSidePort(), opts.RTPRelay.BaresipSidePort()
	}
	cfg := strings.NewReplacer(
		"@@TLSPORT@@", strconv.Itoa(k.TLSPort),
		"@@TLSCERT@@", tlsCert,
		"@@TLSKEY@@", tlsKey,
		"@@PORT@@", strconv.Itoa(k.Port),
		"@@MPATH@@", filepath.Dir(mods[0])+"/",
		"@@DBDIR@@", dbdir,
		"@@ALGO@@", opts.Algorithm,
		"@@REALM@@", cmp.Or(opts.Realm, "$fd"),
		"@@RELAY_PHONE_SIDE@@", strconv.Itoa(relayPhone),
		"@@RELAY_BARESIP_SIDE@@", strconv.Itoa(relayBaresip),
	).Replace(kamailioCfg)
	must(t, os.WriteFile(filepath.Join(dir, "kamailio.cfg"), []byte(cfg), 0o644))
	t.Cleanup(k.Stop)
	k.Start()
	return k
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Addr is "127.0.0.1:port".
func (k *Kamailio) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(k.Port)) }

// TLSAddr is "127.0.0.1:tlsport" (KamailioOptions.TLS).
func (k *Kamailio) TLSAddr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(k.TLSPort)) }

// Start (re)starts the process on the same port and waits until it
// answers OPTIONS (at most 10 s).
func (k *Kamailio) Start() {
	k.t.Helper()
	k.mu.Lock()
	if k.cmd != nil {
		k.mu.Unlock()
		return
	}
	run := filepath.Join(k.dir, "run")
	args := append([]string{"-f", filepath.Join(k.dir, "kamailio.cfg"), "-DD", "-E",
		"-m", "64", "-M", "8", "-Y", run, "-P", filepath.Join(run, "kamailio.pid"), "-w", run}, k.defines...)
	cmd := exec.Command("kamailio", args...)
	log := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = &lockedWriter{mu: &k.mu, w: log}, &lockedWriter{mu: &k.mu, w: log}
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		k.mu.Unlock()
		k.t.Fatalf("start kamailio: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	k.cmd, k.log, k.done = cmd, log, done
	k.mu.Unlock()

	deadline := time.Now().Add(10 * time.Second)
	for !Ping(k.Addr(), 200*time.Millisecond) {
		select {
		case <-done:
			k.t.Fatalf("kamailio exited at start:\n%s", k.Log())
		default:
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("kamailio did not answer OPTIONS within 10 s:\n%s", k.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop ends the process (SIGTERM, SIGKILL to its group after 3 s) and
// waits for it. Stopping a stopped Kamailio does nothing.
func (k *Kamailio) Stop() {
	k.mu.Lock()
	cmd, done := k.cmd, k.done
	k.mu.Unlock()
	if cmd == nil {
		return
	}
	continueGroup(cmd) // a paused Kamailio does not act on SIGTERM
	termProcess(cmd)
	select {
	case <-done:
	case <-time.After(3 * time.Second):
	}
	killGroup(cmd)
	<-done
	k.mu.Lock()
	k.old += k.log.String()
	k.cmd, k.log = nil, nil
	k.mu.Unlock()
}

// Pause freezes every Kamailio process (SIGSTOP to its group): its
// sockets stay open but nothing answers, as behind a dead network path.
func (k *Kamailio) Pause() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cmd != nil {
		pauseGroup(k.cmd)
	}
}

// Continue undoes Pause.
func (k *Kamailio) Continue() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cmd != nil {
		continueGroup(k.cmd)
	}
}

// Log returns everything Kamailio wrote, across restarts.
func (k *Kamailio) Log() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := k.old
	if k.log != nil {
		s += k.log.String()
	}
	return s
}

// Count counts lines of the log that contain every one of subs.
func (k *Kamailio) Count(subs ...string) int {
	n := 0
	for _, line := range strings.Split(k.Log(), "\n") {
		ok := true
		for _, s := range subs {
			if !strings.Contains(line, s) {
				ok = false
				break
			}
		}
		if ok {
			n++
		}
	}
	return n
}

// WaitCount waits up to timeout for at least n log lines containing every
// one of subs, and returns how many there are. Kamailio logs a request
// when it handles it, which can be after the phone has moved on.
func (k *Kamailio) WaitCount(n int, timeout time.Duration, subs ...string) int {
	deadline := time.Now().Add(timeout)
	for {
		got := k.Count(subs...)
		if got >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Ping sends one SIP OPTIONS over UDP to addr and reports whether any SIP
// answer came back within timeout.
func Ping(addr string, timeout time.Duration) bool {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	lp := c.LocalAddr().(*net.UDPAddr).Port
	id := fmt.Sprintf("%x", randUint())
	msg := fmt.Sprintf("OPTIONS sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:ping@127.0.0.1>;tag=%s\r\nTo: <sip:%s>\r\nCall-ID: %s\r\n"+
		"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", addr, lp, id, id, addr, id)
	if _, err := c.Write([]byte(msg)); err != nil {
		return false
	}
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	return err == nil && bytes.HasPrefix(buf[:n], []byte("SIP/2.0 "))
}
