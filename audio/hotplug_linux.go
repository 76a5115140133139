package audio

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
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
	// Every 1.5 s: stat(2) into one Stat_t and appends, no os.FileInfo
	// or fmt, so a probe leaves little garbage.
	b := make([]byte, 0, 4096)
	if cards, err := os.ReadFile("/proc/asound/cards"); err == nil {
		b = append(b, cards...)
	}
	var st syscall.Stat_t
	stat := func(path string) {
		if syscall.Stat(path, &st) == nil {
			b = append(b, path...)
			b = append(b, ' ')
			b = strconv.AppendInt(b, st.Size, 10)
			b = append(b, ' ')
			b = strconv.AppendInt(b, st.Mtim.Nano(), 10)
			b = append(b, ' ')
			b = strconv.AppendUint(b, uint64(st.Mode), 8)
			b = append(b, '\n')
		}
	}
	names := func(dir string) {
		f, err := os.Open(dir)
		if err != nil {
			return
		}
		names, _ := f.Readdirnames(-1)
		f.Close()
		slices.Sort(names)
		for _, n := range names {
			b = append(b, n...)
			b = append(b, '\n')
		}
	}
	names("/dev/snd")
	// OSS nodes (PortAudio's OSS host API probes /dev/dsp, /dev/dsp1, …).
	stat("/dev/dsp")
	for i := 1; i < 4; i++ {
		stat("/dev/dsp" + strconv.Itoa(i))
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
	for _, c := range confs {
		stat(c)
	}
	// conf.d snippets: their names, and each one's size and time.
	for _, dir := range []string{"/etc/alsa/conf.d", "/usr/share/alsa/alsa.conf.d"} {
		f, err := os.Open(dir)
		if err != nil {
			continue
		}
		names, _ := f.Readdirnames(-1)
		f.Close()
		slices.Sort(names)
		for _, n := range names {
			stat(dir + "/" + n)
		}
	}
	run := os.Getenv("XDG_RUNTIME_DIR")
	b = append(b, "PULSE_SERVER="...)
	b = append(b, os.Getenv("PULSE_SERVER")...)
	b = append(b, '\n')
	stat(filepath.Join(run, "pulse", "native"))
	pipewire := filepath.Join(run, "pipewire-0")
	stat(pipewire)
	if jackRuns(pipewire) {
		return string(b), false
	}
	return string(b), true
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
