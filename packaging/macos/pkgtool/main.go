// Command pkgtool builds the parts of bpclient_mac.pkg that Debian has no
// tool for; scripts/release.sh runs it and bsdtar does the rest (the cpio
// payload and the xar archive).
//
//	pkgtool payload -root DIR -bom OUT -mtree OUT [-mtime UNIX]
//	    the Bom of DIR as installed at / (root owns everything;
//	    /Applications is root:admin 0775, as on macOS), and an mtree spec
//	    that makes bsdtar write a cpio payload with the same owners and modes
//	pkgtool lsbom FILE
//	    lists a Bom: path, mode (octal), uid/gid, size, cksum
//	pkgtool lipo -o OUT IN...
//	    a universal (fat) Mach-O from thin Mach-O executables
//
// No product logic lives here.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pkgtool:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: pkgtool payload|lsbom|lipo ...")
	}
	switch args[0] {
	case "payload":
		return payloadCmd(args[1:])
	case "lsbom":
		return lsbomCmd(args[1:])
	case "lipo":
		return lipoCmd(args[1:])
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// macOwner: root:wheel, except /Applications (root:admin).
func macOwner(rel string) (uint32, uint32) {
	if rel == "./Applications" {
		return 0, 80
	}
	return 0, 0
}

func payloadCmd(args []string) error {
	fs := flag.NewFlagSet("payload", flag.ContinueOnError)
	root := fs.String("root", "", "the payload as it lands under /")
	bomOut := fs.String("bom", "", "write the Bom here")
	mtreeOut := fs.String("mtree", "", "write the mtree spec for bsdtar here")
	mtime := fs.Int64("mtime", 0, "modification time of every entry (Unix seconds)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *root == "" || *bomOut == "" || *mtreeOut == "" {
		return errors.New("payload: -root, -bom and -mtree are required")
	}
	entries, err := scanPayload(*root, macOwner, uint32(*mtime))
	if err != nil {
		return err
	}
	if err := writeFileWith(*bomOut, func(f *os.File) error { return writeBom(f, entries) }); err != nil {
		return err
	}
	abs, err := filepath.Abs(*root)
	if err != nil {
		return err
	}
	return writeFileWith(*mtreeOut, func(f *os.File) error { return writeMtree(f, abs, entries) })
}

func writeFileWith(name string, write func(*os.File) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeMtree writes entries as an mtree spec bsdtar reads with @spec.
func writeMtree(f *os.File, root string, entries []*bomEntry) error {
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "#mtree")
	for _, e := range entries {
		line := fmt.Sprintf("%s uid=%d gid=%d mode=%04o time=%d.0", mtreeEscape(e.Path), e.UID, e.GID, e.Mode&0o7777, e.MTime)
		switch e.Type {
		case bomTypeDir:
			line += " type=dir"
		case bomTypeLink:
			line += " type=link link=" + mtreeEscape(e.Link)
		default:
			line += " type=file contents=" + mtreeEscape(filepath.Join(root, filepath.FromSlash(e.Path)))
		}
		fmt.Fprintln(w, line)
	}
	return w.Flush()
}

// mtreeEscape writes spaces, backslashes and other unsafe bytes as \ooo.
func mtreeEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '\\' || c == '#' || c == '=' {
			fmt.Fprintf(&b, "\\%03o", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func lsbomCmd(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: pkgtool lsbom FILE")
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	entries, err := readBom(data)
	if err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	for _, e := range entries {
		switch e.Type {
		case bomTypeDir:
			fmt.Printf("%s\t%o\t%d/%d\n", e.Path, e.Mode, e.UID, e.GID)
		case bomTypeLink:
			fmt.Printf("%s\t%o\t%d/%d\t%d\t%d\t%s\n", e.Path, e.Mode, e.UID, e.GID, e.Size, e.Checksum, e.Link)
		default:
			fmt.Printf("%s\t%o\t%d/%d\t%d\t%d\n", e.Path, e.Mode, e.UID, e.GID, e.Size, e.Checksum)
		}
	}
	return nil
}
