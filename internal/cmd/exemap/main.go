//go:build linux

// Command exemap shows where a running Go program's executable is
// resident: the pages of its file that the process has in its page
// tables (/proc/PID/pagemap), by ELF section, and by Go package for
// .text (the functions' code), .gopclntab (each function's table entry,
// name and pc tables) and .rodata (type descriptors, itabs, each
// function's funcdata; strings and other unnamed data stay
// unattributed).
//
// The program may run stripped (-ldflags "-s -w", as released): -sym
// then names an unstripped build of the same source with the same flags
// otherwise (-trimpath, tags), whose sections must have the same
// addresses and sizes; exemap checks that and refuses otherwise.
//
//	exemap -pid $(pidof bpclient) -sym /tmp/bpclient.sym [-top 25]
//
// Linux only (/proc); reading another user's pagemap needs root. A page of a
// writable section (.data, .noptrdata) that was written is anonymous
// memory (RssAnon), not the file's, but is counted here all the same.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	pid := flag.Int("pid", os.Getpid(), "the process to map (default: exemap itself)")
	sym := flag.String("sym", "", "an unstripped build of the process's executable (default: the executable itself)")
	top := flag.Int("top", 25, "packages to list")
	flag.Parse()
	if err := run(os.Stdout, *pid, *sym, *top); err != nil {
		fmt.Fprintln(os.Stderr, "exemap:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, pid int, sym string, top int) error {
	if pid <= 0 {
		return fmt.Errorf("-pid is required")
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return err
	}
	exe = strings.TrimSuffix(exe, " (deleted)")
	if sym == "" {
		sym = exe
	}
	r, err := residentByPackage(pid, exe, sym)
	if err != nil {
		return err
	}
	r.write(w, top)
	return nil
}
