package audio

import (
	"bytes"
	"context"
	"os"
	"syscall"
	"time"
)

// ALSA's hardware comes and goes with a kernel uevent, which wakes the
// watcher at once. The poll catches what no uevent announces (a sound
// server starting, an edited ALSA configuration, a JACK server's
// clients) and must do so within the 2 s that audio.devicesChanged
// promises; with NewDeviceProbe's probe it enumerates only when
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
