package siptest

import (
	"bufio"
	"bytes"
	"encoding/json"
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

// BaresipOptions configure StartBaresip.
type BaresipOptions struct {
	User      User
	Registrar string // Kamailio's "127.0.0.1:port"
	// Source is a WAV (8 kHz mono for G.711) baresip plays as its
	// microphone, looped.
	Source string
	// Codecs limits the account's audio codecs ("pcmu", "pcma", "g722",
	// "opus"); empty: baresip's defaults (all loaded modules).
	Codecs []string
	// Rate is the sample rate of baresip's audio devices (and of Source):
	// 8000 by default; the codec's own rate for G.722 (16000) and Opus
	// (48000) keeps its recordings' headers right.
	Rate int
	// EchoPlayout makes baresip's microphone what its speaker plays
	// (aubridge both ways) instead of Source: what it sends back is
	// its own playout, as a sniffer on its speaker would hear it.
	EchoPlayout bool
	// Answer is "auto" (default) or "manual".
	Answer string
	// MediaEnc is the account's media encryption ("srtp-mand", "srtp",
	// or "dtls_srtp" for DTLS-SRTP keying); empty: none. It loads
	// baresip's srtp or dtls_srtp module.
	MediaEnc string
	// Transport is the account's SIP transport: "udp" (default) or "tls"
	// (then Registrar is Kamailio's TLS address and CAFile the CA that
	// signed its certificate).
	Transport string
	CAFile    string
	// Player and Mic, when set, are baresip's speaker (audio_player) and
	// microphone (audio_source) as its config names them, e.g.
	// "alsa,default" for the real devices of the test's sound server
	// (soundtest.Start routes ALSA there); then Source is not played.
	// Empty: an aubridge speaker nobody reads and Source's WAV.
	Player, Mic string
	// NoRecord leaves baresip's sndfile module out: a baresip measured
	// beside our phone (CPU, memory) then records nothing that our phone
	// does not, and maps no libsndfile. Recordings then returns nothing.
	NoRecord bool
}

// Baresip is a running baresip with one account, controlled over
// ctrl_tcp, recording every call to WAVs (sndfile). Its speaker is an
// aubridge device nobody reads: paced at the packet time and discarded
// (ALSA's null device does not block, and baresip then spins a core).
type Baresip struct {
	Dir  string
	ctrl int
	t    testing.TB

	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	log  *bytes.Buffer
}

// StartBaresip starts baresip registered at opts.Registrar and waits for
// its registration (10 s at most). Without baresip installed the test is
// skipped, or fails where the real peers are required (testpeers.Missing).
func StartBaresip(t testing.TB, opts BaresipOptions) *Baresip {
	t.Helper()
	if _, err := exec.LookPath("baresip"); err != nil {
		testpeers.Missing(t, "baresip not installed: scripts/deps.sh installs it")
		return nil
	}
	if opts.Rate == 0 {
		opts.Rate = 8000
	}
	if opts.Answer == "" {
		opts.Answer = "auto"
	}
	player, mic := "aubridge,nul", "aufile,"+opts.Source
	if opts.EchoPlayout {
		mic = "aubridge,nul"
	}
	if opts.Player != "" {
		player = opts.Player
	}
	if opts.Mic != "" {
		mic = opts.Mic
	}
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "rec"), 0o755))
	// baresip listens for TLS on the port after sip_listen's.
	sipPort := FreePortRange(t, 2)
	ctrl := FreePort(t)
	rtp := FreePortRange(t, 40)
	cfg := fmt.Sprintf(`poll_method		epoll
net_interface		127.0.0.1
sip_listen		127.0.0.1:%d
call_local_timeout	120
call_max_calls		4
audio_player		%s
audio_source		%s
audio_alert		alsa,null
ausrc_srate		%d
auplay_srate		%d
ausrc_channels		1
auplay_channels		1
audio_buffer		20-160
rtp_ports		%d-%d
rtcp_mux		no
jitter_buffer_delay	1-10
module_path		/usr/lib/baresip/modules
module			g711.so
module			g722.so
module			opus.so
module			aufile.so
module			alsa.so
module			aubridge.so
%smodule_tmp		uuid.so
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:%d
snd_path		%s
opus_bitrate		32000
`, sipPort, player, mic, opts.Rate, opts.Rate, rtp, rtp+39, recordModule(opts.NoRecord), ctrl, filepath.Join(dir, "rec"))
	switch {
	case strings.HasPrefix(opts.MediaEnc, "dtls"):
		cfg += "module\t\t\tdtls_srtp.so\n"
	case opts.MediaEnc != "":
		cfg += "module\t\t\tsrtp.so\n"
	}
	if opts.CAFile != "" {
		cfg += "sip_cafile\t\t" + opts.CAFile + "\n"
	}
	must(t, os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o644))
	// Every request goes through Kamailio (outbound proxy), so that URIs
	// in the test domain "127.0.0.1" (port 5060 implied) reach it.
	if opts.Transport == "" {
		opts.Transport = "udp"
	}
	acct := fmt.Sprintf("<sip:%s@%s;transport=%s>;auth_pass=%s;answermode=%s;regint=600;outbound=\"sip:%s;transport=%s;lr\"",
		opts.User.Name, opts.Registrar, opts.Transport, opts.User.Password, opts.Answer, opts.Registrar, opts.Transport)
	if len(opts.Codecs) > 0 {
		acct += ";audio_codecs=" + strings.Join(opts.Codecs, ",")
	}
	if opts.MediaEnc != "" {
		acct += ";mediaenc=" + opts.MediaEnc
	}
	must(t, os.WriteFile(filepath.Join(dir, "accounts"), []byte(acct+"\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "contacts"), nil, 0o644))

	b := &Baresip{Dir: dir, ctrl: ctrl, t: t, log: &bytes.Buffer{}, done: make(chan struct{})}
	cmd := exec.Command("baresip", "-f", dir)
	cmd.Stdin = nil
	cmd.Stdout, cmd.Stderr = &lockedWriter{mu: &b.mu, w: b.log}, &lockedWriter{mu: &b.mu, w: b.log}
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start baresip: %v", err)
	}
	b.cmd = cmd
	go func() { _ = cmd.Wait(); close(b.done) }()
	t.Cleanup(b.Stop)
	if !b.WaitLog("200 OK", 10*time.Second) {
		t.Fatalf("baresip did not register:\n%s", b.Log())
	}
	return b
}

// recordModule is the config line loading sndfile (every call recorded
// to WAVs), or nothing.
func recordModule(off bool) string {
	if off {
		return ""
	}
	return "module\t\t\tsndfile.so\n"
}

// Log returns baresip's output so far.
func (b *Baresip) Log() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.log.String()
}

// WaitLog waits until the output contains s.
func (b *Baresip) WaitLog(s string, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if strings.Contains(b.Log(), s) {
			return true
		}
		select {
		case <-b.done:
			return strings.Contains(b.Log(), s)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return false
}

// Command sends one ctrl_tcp command and returns its response's data.
func (b *Baresip) Command(command, params string) (string, error) {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(b.ctrl)), 3*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	msg, _ := json.Marshal(map[string]string{"command": command, "params": params, "token": "t"})
	if _, err := fmt.Fprintf(c, "%d:%s,", len(msg), msg); err != nil {
		return "", err
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	for {
		lenStr, err := r.ReadString(':')
		if err != nil {
			return "", err
		}
		n, err := strconv.Atoi(strings.TrimSuffix(lenStr, ":"))
		if err != nil || n < 0 || n > 1<<20 {
			return "", fmt.Errorf("bad netstring length %q", lenStr)
		}
		buf := make([]byte, n+1)
		if _, err := ioReadFull(r, buf); err != nil {
			return "", err
		}
		var resp struct {
			Response bool   `json:"response"`
			OK       bool   `json:"ok"`
			Data     string `json:"data"`
		}
		if json.Unmarshal(buf[:n], &resp) == nil && resp.Response {
			if !resp.OK {
				return resp.Data, fmt.Errorf("baresip %s: %s", command, resp.Data)
			}
			return resp.Data, nil
		}
	}
}

func ioReadFull(r *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Recordings returns the WAVs sndfile wrote: enc is what baresip sent
// (its microphone), dec what it received and decoded.
func (b *Baresip) Recordings() (enc, dec []string) {
	enc, _ = filepath.Glob(filepath.Join(b.Dir, "rec", "*-enc.wav"))
	dec, _ = filepath.Glob(filepath.Join(b.Dir, "rec", "*-dec.wav"))
	return enc, dec
}

// Stop asks baresip to quit, then SIGTERM, then SIGKILL.
func (b *Baresip) Stop() {
	if b.cmd == nil {
		return
	}
	select {
	case <-b.done:
		return
	default:
	}
	continueProcess(b.cmd)
	_, _ = b.Command("quit", "")
	select {
	case <-b.done:
		return
	case <-time.After(2 * time.Second):
	}
	termProcess(b.cmd)
	select {
	case <-b.done:
		return
	case <-time.After(2 * time.Second):
	}
	killGroup(b.cmd)
	<-b.done
}

// Pid is the process id (for CPU and memory measurements).
func (b *Baresip) Pid() int { return b.cmd.Process.Pid }

// Pause freezes baresip (SIGSTOP): its media stops as on a broken network.
func (b *Baresip) Pause() { pauseProcess(b.cmd) }

// Continue undoes Pause.
func (b *Baresip) Continue() { continueProcess(b.cmd) }
