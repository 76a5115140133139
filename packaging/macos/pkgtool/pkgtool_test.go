package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestCksumMatchesPOSIX(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint32
	}{
		{"", 4294967295},
		{"123456789", 930766865},
	} {
		if got := cksum(strings.NewReader(tc.in)); got != tc.want {
			t.Errorf("cksum(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
	// And against the system's cksum(1) on something longer, when present.
	if _, err := exec.LookPath("cksum"); err != nil {
		return
	}
	data := bytes.Repeat([]byte("bpclient\x00\xff"), 7001)
	cmd := exec.Command("cksum")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := strconv.ParseUint(strings.Fields(string(out))[0], 10, 32)
	if got := cksum(bytes.NewReader(data)); got != uint32(want) {
		t.Errorf("cksum = %d, cksum(1) says %d", got, want)
	}
}

func TestBomRoundTrip(t *testing.T) {
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	app := filepath.Join(root, "Applications", "BPClient.app", "Contents", "MacOS")
	must(os.MkdirAll(app, 0o755))
	must(os.Chmod(filepath.Join(root, "Applications"), 0o775))
	must(os.WriteFile(filepath.Join(app, "bpclient"), []byte("binary"), 0o755))
	hosts := filepath.Join(root, "Library", "Application Support", "Mozilla", "NativeMessagingHosts")
	must(os.MkdirAll(hosts, 0o755))
	must(os.WriteFile(filepath.Join(hosts, "org.openbpclient.bpclient.json"), []byte("{}\n"), 0o644))
	must(os.Symlink("BPClient.app", filepath.Join(root, "Applications", "link")))

	entries, err := scanPayload(root, macOwner, 1700000000)
	must(err)
	var buf bytes.Buffer
	must(writeBom(&buf, entries))
	got, err := readBom(buf.Bytes())
	must(err)
	if len(got) != len(entries) {
		t.Fatalf("read %d entries, wrote %d", len(got), len(entries))
	}
	for i, e := range entries {
		g := got[i]
		if g.Path != e.Path || g.Mode != e.Mode || g.UID != e.UID || g.GID != e.GID || g.Size != e.Size ||
			g.Checksum != e.Checksum || g.MTime != e.MTime || g.Type != e.Type || g.Link != e.Link {
			t.Errorf("entry %d: read %+v, wrote %+v", i, g, *e)
		}
	}
	want := []string{".", "./Applications", "./Library", "./Applications/BPClient.app", "./Applications/link",
		"./Library/Application Support", "./Applications/BPClient.app/Contents"}
	for i, w := range want {
		if got[i].Path != w {
			t.Errorf("path %d = %q, want %q (parents first, siblings by name)", i, got[i].Path, w)
		}
	}
	if got[1].GID != 80 || got[1].Mode != 0o40775 {
		t.Errorf("/Applications: gid %d mode %o, want admin and 40775", got[1].GID, got[1].Mode)
	}
	// The header's numbers agree with the file.
	b := buf.Bytes()
	be := binary.BigEndian
	if idx, l := be.Uint32(b[16:]), be.Uint32(b[20:]); int(idx+l) != len(b) {
		t.Errorf("index table %d+%d, file %d bytes", idx, l, len(b))
	}
}

func TestReadBomRejectsGarbage(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("BOMStore"), bytes.Repeat([]byte{0xff}, 600),
		append([]byte("BOMStore\x00\x00\x00\x01"), bytes.Repeat([]byte{0xff}, 600)...)} {
		if _, err := readBom(b); err == nil {
			t.Errorf("readBom(%d bytes) accepted garbage", len(b))
		}
	}
}

func TestFatLayout(t *testing.T) {
	thin := func(cpu uint32, n int) slice {
		d := make([]byte, n)
		binary.LittleEndian.PutUint32(d, machoMagic64)
		binary.LittleEndian.PutUint32(d[4:], cpu)
		s, err := readSliceData(d)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	out := fat([]slice{thin(cpuX8664, 5000), thin(cpuARM64, 7000)})
	be := binary.BigEndian
	if be.Uint32(out) != fatMagic || be.Uint32(out[4:]) != 2 {
		t.Fatalf("header % x", out[:8])
	}
	for i, want := range []struct{ cpu, align, size uint32 }{{cpuX8664, 12, 5000}, {cpuARM64, 14, 7000}} {
		a := out[8+20*i:]
		off := be.Uint32(a[8:])
		if be.Uint32(a) != want.cpu || be.Uint32(a[16:]) != want.align || be.Uint32(a[12:]) != want.size {
			t.Errorf("arch %d: % x", i, a[:20])
		}
		if off%(1<<want.align) != 0 {
			t.Errorf("arch %d at %d, not aligned to 2^%d", i, off, want.align)
		}
		if binary.LittleEndian.Uint32(out[off:]) != machoMagic64 {
			t.Errorf("arch %d: no Mach-O at %d", i, off)
		}
	}
}

func TestMtreeEscape(t *testing.T) {
	if got := mtreeEscape("./Library/Application Support/a=b#c\\"); got != `./Library/Application\040Support/a\075b\043c\134` {
		t.Errorf("got %s", got)
	}
}
