package audio

import (
	"bytes"
	"encoding/binary"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// deviceProbe sums up everything PortAudio's device list on Linux depends
// on and that changes without a uevent: the cards ALSA knows
// (/proc/asound/cards, /dev/snd), the ALSA configuration that names PCMs
// (a user's ~/.asoundrc, conf.d snippets, ALSA_CONFIG_PATH), OSS nodes,
// and which sound servers run (PulseAudio's and PipeWire's sockets: the
// ALSA plugins of a server open only while it runs). A JACK server's
// clients appear as PortAudio devices and come and go with no file
// changing, so while one runs (JACK itself, or PipeWire where its JACK
// library is installed) the sum reports ok=false and the poll enumerates.
//
// The agent probes every 1.5 s for as long as it runs, so a probe
// allocates nothing: its buffers are kept, paths are built in place and
// the files are reached by raw system calls (the string forms of open
// and stat copy their path to the heap). Garbage made all day would grow
// the heap to the collector's 4 MB minimum goal, and the agent's RSS
// with it.
type deviceProbe struct {
	sig    []byte   // the sum being built
	path   []byte   // a NUL-terminated path
	dirent []byte   // getdents64 records
	names  []byte   // one directory's entry names, back to back
	spans  [][2]int // each name's start and end in names
	st     syscall.Stat_t
	// Looked up once: whether PipeWire's JACK library is installed (a
	// package install, not something that changes between polls), and
	// our uid's JACK 2 socket suffix.
	pipewireJACK bool
	jackSuffix   string
	jack1Dir     string
}

// NewDeviceProbe returns a probe for Watcher.Probe: a cheap sum of what
// this OS's device list depends on. On Linux that is the sound cards, the
// ALSA configuration files and the sound servers' sockets.
func NewDeviceProbe() func() (sig []byte, ok bool) { return newDeviceProbe().sum }

func newDeviceProbe() *deviceProbe {
	uid := strconv.Itoa(os.Getuid())
	p := &deviceProbe{
		sig:        make([]byte, 0, 4096),
		path:       make([]byte, 0, 512),
		dirent:     make([]byte, 8192),
		names:      make([]byte, 0, 1024),
		spans:      make([][2]int, 0, 64),
		jackSuffix: "_" + uid + "_0",
		jack1Dir:   "/dev/shm/jack-" + uid,
	}
	// Where distributions put PipeWire's JACK library: Debian's multiarch
	// folder, Fedora's lib64, Arch's lib. (A glob over /usr/lib/* would
	// read hundreds of entries and leave 200 KB of garbage at start.)
	for _, lib := range []string{"/usr/lib/" + multiarch(), "/usr/lib64", "/usr/lib"} {
		for _, e := range readDirNames(lib + "/pipewire-0.3/jack") {
			if strings.HasPrefix(e, "libjack.so") {
				p.pipewireJACK = true
			}
		}
	}
	return p
}

// multiarch is Debian's library folder name for this GOARCH.
func multiarch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64-linux-gnu"
	case "arm64":
		return "aarch64-linux-gnu"
	case "386":
		return "i386-linux-gnu"
	case "arm":
		return "arm-linux-gnueabihf"
	}
	return runtime.GOARCH + "-linux-gnu"
}

func readDirNames(dir string) []string {
	f, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer f.Close()
	names, _ := f.Readdirnames(-1)
	return names
}

func (p *deviceProbe) sum() ([]byte, bool) {
	p.sig = p.sig[:0]
	p.appendFile("/proc/asound/cards")
	p.appendNames("/dev/snd")
	// OSS nodes (PortAudio's OSS host API probes /dev/dsp, /dev/dsp1, …).
	for _, dsp := range []string{"/dev/dsp", "/dev/dsp1", "/dev/dsp2", "/dev/dsp3"} {
		p.appendStat(dsp)
	}
	if confs := os.Getenv("ALSA_CONFIG_PATH"); confs != "" {
		for rest, more := confs, true; more; {
			var c string
			c, rest, more = strings.Cut(rest, ":")
			p.appendStat(c)
		}
	} else {
		p.appendStat("/usr/share/alsa/alsa.conf")
	}
	home := os.Getenv("HOME")
	p.appendStat("/etc/asound.conf")
	p.appendStat(home, "/.asoundrc")
	if cfg := os.Getenv("XDG_CONFIG_HOME"); cfg != "" {
		p.appendStat(cfg, "/alsa/asoundrc")
	} else {
		p.appendStat(home, "/.config/alsa/asoundrc")
	}
	// conf.d snippets: their names, and each one's size and time.
	for _, dir := range []string{"/etc/alsa/conf.d", "/usr/share/alsa/alsa.conf.d"} {
		if p.readNames(dir) {
			for _, sp := range p.spans {
				p.appendStat(dir, "/", unsafe.String(&p.names[sp[0]], sp[1]-sp[0]))
			}
		}
	}
	run := os.Getenv("XDG_RUNTIME_DIR")
	p.sig = append(p.sig, "PULSE_SERVER="...)
	p.sig = append(p.sig, os.Getenv("PULSE_SERVER")...)
	p.sig = append(p.sig, '\n')
	p.appendStat(run, "/pulse/native")
	pipewire := p.appendStat(run, "/pipewire-0")
	return p.sig, !p.jackRuns(pipewire)
}

// jackRuns reports whether a JACK server may be listing its clients as
// devices: JACK 2's server socket in /dev/shm (jack_NAME_UID_0), JACK 1's
// directory, or a running PipeWire whose JACK library is installed.
func (p *deviceProbe) jackRuns(pipewire bool) bool {
	if pipewire && p.pipewireJACK {
		return true
	}
	if p.stat(p.jack1Dir) {
		return true
	}
	found := false
	p.eachName("/dev/shm", func(name []byte) {
		if bytes.HasPrefix(name, []byte("jack_")) && bytes.HasSuffix(name, []byte(p.jackSuffix)) {
			found = true
		}
	})
	return found
}

// cpath builds the NUL-terminated path of parts in p.path.
func (p *deviceProbe) cpath(parts ...string) *byte {
	p.path = p.path[:0]
	for _, s := range parts {
		p.path = append(p.path, s...)
	}
	p.path = append(p.path, 0)
	return &p.path[0]
}

// open opens the path of parts with flags; -1 when it cannot.
func (p *deviceProbe) open(flags int, parts ...string) int {
	dirfd := atFDCWD
	fd, _, errno := syscall.Syscall6(syscall.SYS_OPENAT, uintptr(dirfd), uintptr(unsafe.Pointer(p.cpath(parts...))),
		uintptr(flags|syscall.O_CLOEXEC), 0, 0, 0)
	if errno != 0 {
		return -1
	}
	return int(fd)
}

// atFDCWD is AT_FDCWD: openat's "relative to the working directory".
const atFDCWD = -100

// stat fills p.st for the path of parts.
func (p *deviceProbe) stat(parts ...string) bool {
	fd := p.open(oPath, parts...)
	if fd < 0 {
		return false
	}
	err := syscall.Fstat(fd, &p.st)
	syscall.Close(fd)
	return err == nil
}

// oPath is O_PATH: a descriptor only to fstat, which needs no permission
// to read the file.
const oPath = 0x200000

// appendStat adds the path's name, size, time and mode to the sum, when
// it exists.
func (p *deviceProbe) appendStat(parts ...string) bool {
	if !p.stat(parts...) {
		return false
	}
	p.sig = append(p.sig, p.path[:len(p.path)-1]...)
	p.sig = append(p.sig, ' ')
	p.sig = strconv.AppendInt(p.sig, p.st.Size, 10)
	p.sig = append(p.sig, ' ')
	p.sig = strconv.AppendInt(p.sig, int64(p.st.Mtim.Sec), 10)
	p.sig = append(p.sig, '.')
	p.sig = strconv.AppendInt(p.sig, int64(p.st.Mtim.Nsec), 10)
	p.sig = append(p.sig, ' ')
	p.sig = strconv.AppendUint(p.sig, uint64(p.st.Mode), 8)
	p.sig = append(p.sig, '\n')
	return true
}

// appendFile adds a (small, /proc) file's contents to the sum.
func (p *deviceProbe) appendFile(name string) {
	fd := p.open(syscall.O_RDONLY, name)
	if fd < 0 {
		return
	}
	defer syscall.Close(fd)
	for {
		if len(p.sig) == cap(p.sig) {
			p.sig = slices.Grow(p.sig, 4096)
		}
		n, err := syscall.Read(fd, p.sig[len(p.sig):cap(p.sig)])
		if n <= 0 || err != nil {
			return
		}
		p.sig = p.sig[:len(p.sig)+n]
	}
}

// appendNames adds a directory's entry names, sorted, to the sum.
func (p *deviceProbe) appendNames(dir string) {
	if !p.readNames(dir) {
		return
	}
	for _, sp := range p.spans {
		p.sig = append(p.sig, p.names[sp[0]:sp[1]]...)
		p.sig = append(p.sig, '\n')
	}
}

// readNames reads a directory's entry names into p.names and p.spans,
// sorted.
func (p *deviceProbe) readNames(dir string) bool {
	p.names, p.spans = p.names[:0], p.spans[:0]
	ok := p.eachName(dir, func(name []byte) {
		p.spans = append(p.spans, [2]int{len(p.names), len(p.names) + len(name)})
		p.names = append(p.names, name...)
	})
	slices.SortFunc(p.spans, p.compareSpans)
	return ok
}

func (p *deviceProbe) compareSpans(a, b [2]int) int {
	return bytes.Compare(p.names[a[0]:a[1]], p.names[b[0]:b[1]])
}

// eachName calls fn with each entry name of dir but "." and "..": a
// slice of p.dirent, valid during the call.
func (p *deviceProbe) eachName(dir string, fn func(name []byte)) bool {
	fd := p.open(syscall.O_RDONLY|syscall.O_DIRECTORY, dir)
	if fd < 0 {
		return false
	}
	defer syscall.Close(fd)
	for {
		n, err := syscall.Getdents(fd, p.dirent)
		if n <= 0 || err != nil {
			return err == nil
		}
		// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
		for off := 0; off+19 <= n; {
			reclen := int(binary.NativeEndian.Uint16(p.dirent[off+16:]))
			if reclen == 0 || off+reclen > n {
				break
			}
			name := p.dirent[off+19 : off+reclen]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if !bytes.Equal(name, []byte(".")) && !bytes.Equal(name, []byte("..")) {
				fn(name)
			}
			off += reclen
		}
	}
}
