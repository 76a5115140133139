package audio

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ALSA's hardware comes and goes with a kernel uevent, which wakes the
// watcher at once. The poll catches what no uevent announces (a sound
// server starting, an edited ALSA configuration, a JACK server's
// clients) and must do so within the 2 s that audio.devicesChanged
// promises; with DeviceSignature as its probe it enumerates only when
// something changed.
const defaultWatchInterval = 1500 * time.Millisecond

// watchOS calls kick when the kernel announces a sound device added or
// removed (a netlink uevent with SUBSYSTEM=sound). Where netlink is not
// allowed (some containers) it returns and polling alone remains.
func watchOS(ctx context.Context, kick func()) {
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, syscall.NETLINK_KOBJECT_UEVENT)
	if err != nil {
		return
	}
	if err := syscall.Bind(fd, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK, Groups: 1}); err != nil {
		syscall.Close(fd)
		return
	}
	f := os.NewFile(uintptr(fd), "uevent") // non-blocking: reads go through the poller, Close ends them
	stop := context.AfterFunc(ctx, func() { f.Close() })
	defer stop()
	buf := make([]byte, 8192)
	for {
		n, err := f.Read(buf)
		if err != nil {
			f.Close()
			return
		}
		if bytes.Contains(buf[:n], []byte("SUBSYSTEM=sound")) {
			kick()
		}
	}
}

// deviceSignature sums up everything PortAudio's device list on Linux
// depends on and that changes without a uevent: the cards ALSA knows
// (/proc/asound/cards, /dev/snd), the ALSA configuration that names PCMs
// (a user's ~/.asoundrc, conf.d snippets, ALSA_CONFIG_PATH), OSS nodes,
// and which sound servers run (PulseAudio's and PipeWire's sockets: the
// ALSA plugins of a server open only while it runs). A JACK server's
// clients appear as PortAudio devices and come and go with no file
// changing, so while one runs (JACK itself, or PipeWire where its JACK
// library is installed) the sum reports ok=false and the poll enumerates.
func deviceSignature() (string, bool) {
	var b bytes.Buffer
	if cards, err := os.ReadFile("/proc/asound/cards"); err == nil {
		b.Write(cards)
	}
	names := func(dir, prefix string) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), prefix) {
				b.WriteString(e.Name())
				b.WriteByte('\n')
			}
		}
	}
	names("/dev/snd", "")
	names("/dev", "dsp")
	stat := func(path string) {
		if fi, err := os.Stat(path); err == nil {
			fmt.Fprintf(&b, "%s %d %d %v\n", path, fi.Size(), fi.ModTime().UnixNano(), fi.Mode())
		}
	}
	confs := []string{"/usr/share/alsa/alsa.conf"}
	if p := os.Getenv("ALSA_CONFIG_PATH"); p != "" {
		confs = strings.Split(p, ":")
	}
	home, _ := os.UserHomeDir()
	cfg := os.Getenv("XDG_CONFIG_HOME")
	if cfg == "" && home != "" {
		cfg = filepath.Join(home, ".config")
	}
	confs = append(confs, "/etc/asound.conf", filepath.Join(home, ".asoundrc"), filepath.Join(cfg, "alsa", "asoundrc"))
	for _, dir := range []string{"/etc/alsa/conf.d", "/usr/share/alsa/alsa.conf.d"} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			confs = append(confs, filepath.Join(dir, e.Name()))
		}
	}
	for _, c := range confs {
		stat(c)
	}
	run := os.Getenv("XDG_RUNTIME_DIR")
	fmt.Fprintf(&b, "PULSE_SERVER=%s\n", os.Getenv("PULSE_SERVER"))
	stat(filepath.Join(run, "pulse", "native"))
	pipewire := filepath.Join(run, "pipewire-0")
	stat(pipewire)
	if jackRuns(pipewire) {
		return b.String(), false
	}
	return b.String(), true
}

// jackRuns reports whether a JACK server may be listing its clients as
// devices: JACK 2's server socket in /dev/shm, JACK 1's directory, or a
// running PipeWire whose JACK library is installed.
func jackRuns(pipewire string) bool {
	uid := strconv.Itoa(os.Getuid())
	if m, _ := filepath.Glob("/dev/shm/jack_*_" + uid + "_0"); len(m) > 0 {
		return true
	}
	if m, _ := filepath.Glob("/dev/shm/jack-" + uid + "/*/jack_0"); len(m) > 0 {
		return true
	}
	if _, err := os.Stat(pipewire); err == nil {
		for _, pat := range []string{"/usr/lib*/pipewire-0.3/jack/libjack.so*", "/usr/lib/*/pipewire-0.3/jack/libjack.so*"} {
			if m, _ := filepath.Glob(pat); len(m) > 0 {
				return true
			}
		}
	}
	return false
}
