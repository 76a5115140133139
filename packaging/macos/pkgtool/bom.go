package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// A Bom ("bill of materials") lists every path a macOS package installs,
// with mode, owner, size and checksum; Installer records it as the receipt
// (pkgutil --files) and checks the payload against it. Debian has no
// mkbom, so this writes one.
//
// The file is a "BOMStore": a 512-byte header, numbered blocks, a table of
// (offset, length) per block number, and named variables that point at
// blocks. All integers are big-endian. The variables a package Bom holds:
//
//	BomInfo  version, path count, one (empty) architecture entry
//	Paths    a tree whose leaf lists, per path, a (PathInfo1, File) pair of
//	         block numbers: PathInfo1 = (path id, PathInfo2 block),
//	         PathInfo2 = type, mode, uid, gid, mtime, size, checksum, and
//	         File = (parent's path id, name)
//	HLIndex  hard links: an empty tree
//	VIndex   an empty tree behind a small header
//	Size64   64-bit sizes of files over 4 GiB: an empty tree
//
// Paths are listed parent before child, siblings by name, ids in that
// order, so one leaf is sorted by (parent id, name).

const (
	bomHeaderSize   = 512
	pathsBlockSize  = 4096
	smallBlockSize  = 128
	bomTypeFile     = 1
	bomTypeDir      = 2
	bomTypeLink     = 3
	maxPathsPerLeaf = (pathsBlockSize - 12) / 8
)

// bomEntry is one path of the payload.
type bomEntry struct {
	Path     string // "." or "./a/b"
	Type     uint8
	Mode     uint16 // with the file-type bits, as in st_mode
	UID, GID uint32
	MTime    uint32
	Size     uint32
	Checksum uint32 // POSIX cksum of a file's bytes; 0 for directories
	Link     string // symlink target
	id       uint32
	parent   uint32
}

// owner says who owns a payload path (relative, "./x").
type owner func(rel string) (uid, gid uint32)

// scanPayload lists root as a payload: the tree in parent-first, by-name
// order, modes from the files, owners from own, every mtime mtime.
func scanPayload(root string, own owner, mtime uint32) ([]*bomEntry, error) {
	var entries []*bomEntry
	var walk func(dir, rel string, parent uint32) error
	add := func(full, rel string, parent uint32) (*bomEntry, error) {
		fi, err := os.Lstat(full)
		if err != nil {
			return nil, err
		}
		uid, gid := own(rel)
		e := &bomEntry{Path: rel, UID: uid, GID: gid, MTime: mtime, parent: parent}
		perm := uint16(fi.Mode().Perm())
		switch {
		case fi.IsDir():
			e.Type, e.Mode = bomTypeDir, 0o040000|perm
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(full)
			if err != nil {
				return nil, err
			}
			e.Type, e.Mode, e.Link = bomTypeLink, 0o120000|0o755, target
			e.Size = uint32(len(target))
			e.Checksum = cksum(strings.NewReader(target))
		case fi.Mode().IsRegular():
			if fi.Size() >= 1<<32 {
				return nil, fmt.Errorf("%s: files of 4 GiB and more are not supported", rel)
			}
			f, err := os.Open(full)
			if err != nil {
				return nil, err
			}
			e.Checksum = cksum(f)
			f.Close()
			e.Type, e.Mode, e.Size = bomTypeFile, 0o100000|perm, uint32(fi.Size())
		default:
			return nil, fmt.Errorf("%s: only files, directories and symlinks go into a payload", rel)
		}
		e.id = uint32(len(entries) + 1)
		entries = append(entries, e)
		return e, nil
	}
	// Breadth first: all of a directory's children get ids before any
	// grandchild, so (parent id, name) order is id order.
	type pending struct {
		dir, rel string
		id       uint32
	}
	walk = func(dir, rel string, parent uint32) error {
		queue := []pending{{dir, rel, parent}}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			names, err := readDirNames(p.dir)
			if err != nil {
				return err
			}
			for _, name := range names {
				full, crel := filepath.Join(p.dir, name), p.rel+"/"+name
				e, err := add(full, crel, p.id)
				if err != nil {
					return err
				}
				if e.Type == bomTypeDir {
					queue = append(queue, pending{full, crel, e.id})
				}
			}
		}
		return nil
	}
	rootEntry, err := add(root, ".", 0)
	if err != nil {
		return nil, err
	}
	if rootEntry.Type != bomTypeDir {
		return nil, fmt.Errorf("%s is not a directory", root)
	}
	if err := walk(root, ".", rootEntry.id); err != nil {
		return nil, err
	}
	return entries, nil
}

func readDirNames(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(des))
	for i, d := range des {
		names[i] = d.Name()
	}
	sort.Strings(names) // bytewise, as strcmp
	return names, nil
}

// bomWriter collects numbered blocks; block 0 is the null block.
type bomWriter struct {
	blocks [][]byte
}

func (w *bomWriter) add(b []byte) uint32 {
	w.blocks = append(w.blocks, b)
	return uint32(len(w.blocks)) // numbers start at 1
}

type beBuf struct{ bytes.Buffer }

func (b *beBuf) u8(v uint8)   { b.WriteByte(v) }
func (b *beBuf) u16(v uint16) { binary.Write(&b.Buffer, binary.BigEndian, v) }
func (b *beBuf) u32(v uint32) { binary.Write(&b.Buffer, binary.BigEndian, v) }

func pad(b []byte, size int) []byte {
	if len(b) < size {
		b = append(b, make([]byte, size-len(b))...)
	}
	return b
}

// tree adds a tree header and its single leaf; entries are (index0, index1)
// pairs.
func (w *bomWriter) tree(blockSize uint32, entries [][2]uint32) uint32 {
	var leaf beBuf
	leaf.u16(1) // isLeaf
	leaf.u16(uint16(len(entries)))
	leaf.u32(0) // forward
	leaf.u32(0) // backward
	for _, e := range entries {
		leaf.u32(e[0])
		leaf.u32(e[1])
	}
	leafID := w.add(pad(leaf.Bytes(), int(blockSize)))
	var t beBuf
	t.WriteString("tree")
	t.u32(1) // version
	t.u32(leafID)
	t.u32(blockSize)
	t.u32(uint32(len(entries)))
	t.u8(0)
	return w.add(t.Bytes())
}

// writeBom writes the Bom of entries (from scanPayload) to out.
func writeBom(out io.Writer, entries []*bomEntry) error {
	if len(entries) > maxPathsPerLeaf {
		return fmt.Errorf("%d paths: more than one tree leaf (%d) is not supported", len(entries), maxPathsPerLeaf)
	}
	w := &bomWriter{}
	var pairs [][2]uint32
	for _, e := range entries {
		var info2 beBuf
		info2.u8(e.Type)
		info2.u8(1) // unknown, always 1
		info2.u16(3)
		info2.u16(e.Mode)
		info2.u32(e.UID)
		info2.u32(e.GID)
		info2.u32(e.MTime)
		info2.u32(e.Size)
		info2.u8(1) // unknown, always 1
		info2.u32(e.Checksum)
		if e.Type == bomTypeLink {
			info2.u32(uint32(len(e.Link) + 1))
			info2.WriteString(e.Link)
			info2.u8(0)
		} else {
			info2.u32(0)
		}
		info2ID := w.add(info2.Bytes())
		var info1 beBuf
		info1.u32(e.id)
		info1.u32(info2ID)
		info1ID := w.add(info1.Bytes())
		var file beBuf
		file.u32(e.parent)
		file.WriteString(path.Base(e.Path))
		file.u8(0)
		fileID := w.add(file.Bytes())
		pairs = append(pairs, [2]uint32{info1ID, fileID})
	}
	paths := w.tree(pathsBlockSize, pairs)
	hl := w.tree(pathsBlockSize, nil)
	size64 := w.tree(smallBlockSize, nil)
	vtree := w.tree(smallBlockSize, nil)
	var vindex beBuf
	vindex.u32(1)
	vindex.u32(vtree)
	vindex.u32(0)
	vindex.u8(0)
	vindexID := w.add(vindex.Bytes())
	var info beBuf
	info.u32(1) // version
	info.u32(uint32(len(entries)))
	info.u32(1) // one architecture entry, empty
	info.u32(0)
	info.u32(0)
	info.u32(0)
	info.u32(0)
	infoID := w.add(info.Bytes())

	var vars beBuf
	named := []struct {
		name string
		id   uint32
	}{{"BomInfo", infoID}, {"Paths", paths}, {"HLIndex", hl}, {"VIndex", vindexID}, {"Size64", size64}}
	vars.u32(uint32(len(named)))
	for _, v := range named {
		vars.u32(v.id)
		vars.u8(uint8(len(v.name)))
		vars.WriteString(v.name)
	}

	// Layout: header, variables, blocks, then the block table.
	var body bytes.Buffer
	offset := uint32(bomHeaderSize)
	varsOffset := offset
	body.Write(vars.Bytes())
	offset += uint32(vars.Len())
	ptrs := make([][2]uint32, len(w.blocks))
	for i, b := range w.blocks {
		ptrs[i] = [2]uint32{offset, uint32(len(b))}
		body.Write(b)
		offset += uint32(len(b))
	}
	var index beBuf
	index.u32(uint32(len(w.blocks) + 1))
	index.u32(0) // block 0: null
	index.u32(0)
	for _, p := range ptrs {
		index.u32(p[0])
		index.u32(p[1])
	}
	index.u32(0) // free list: empty

	var hdr beBuf
	hdr.WriteString("BOMStore")
	hdr.u32(1) // version
	hdr.u32(uint32(len(w.blocks)))
	hdr.u32(offset) // index table
	hdr.u32(uint32(index.Len()))
	hdr.u32(varsOffset)
	hdr.u32(uint32(vars.Len()))
	if _, err := out.Write(pad(hdr.Bytes(), bomHeaderSize)); err != nil {
		return err
	}
	if _, err := out.Write(body.Bytes()); err != nil {
		return err
	}
	_, err := out.Write(index.Bytes())
	return err
}

// readBom parses a Bom back into its entries (paths rebuilt from the
// parent ids), to check what writeBom wrote: our own lsbom.
func readBom(data []byte) ([]bomEntry, error) {
	be := binary.BigEndian
	if len(data) < bomHeaderSize || string(data[:8]) != "BOMStore" {
		return nil, errors.New("not a BOMStore")
	}
	if v := be.Uint32(data[8:]); v != 1 {
		return nil, fmt.Errorf("BOMStore version %d", v)
	}
	indexOff, indexLen := be.Uint32(data[16:]), be.Uint32(data[20:])
	varsOff, varsLen := be.Uint32(data[24:]), be.Uint32(data[28:])
	if uint64(indexOff)+uint64(indexLen) > uint64(len(data)) || uint64(varsOff)+uint64(varsLen) > uint64(len(data)) {
		return nil, errors.New("index or variables past the end")
	}
	index := data[indexOff : indexOff+indexLen]
	if len(index) < 4 {
		return nil, errors.New("short block table")
	}
	n := be.Uint32(index)
	if uint64(n)*8+4 > uint64(len(index)) {
		return nil, errors.New("block table past its end")
	}
	block := func(id uint32) ([]byte, error) {
		if id == 0 || id >= n {
			return nil, fmt.Errorf("block %d out of range", id)
		}
		off, l := be.Uint32(index[4+8*id:]), be.Uint32(index[8+8*id:])
		if uint64(off)+uint64(l) > uint64(len(data)) {
			return nil, fmt.Errorf("block %d past the end", id)
		}
		return data[off : off+l], nil
	}
	vars := map[string]uint32{}
	v := data[varsOff : varsOff+varsLen]
	if len(v) < 4 {
		return nil, errors.New("short variables")
	}
	count, v := be.Uint32(v), v[4:]
	for i := uint32(0); i < count; i++ {
		if len(v) < 5 || len(v) < 5+int(v[4]) {
			return nil, errors.New("variables cut short")
		}
		vars[string(v[5:5+int(v[4])])] = be.Uint32(v)
		v = v[5+int(v[4]):]
	}
	for _, name := range []string{"BomInfo", "Paths", "HLIndex", "VIndex", "Size64"} {
		if _, ok := vars[name]; !ok {
			return nil, fmt.Errorf("no %s variable", name)
		}
	}
	tree, err := block(vars["Paths"])
	if err != nil {
		return nil, err
	}
	if len(tree) < 21 || string(tree[:4]) != "tree" {
		return nil, errors.New("Paths is not a tree")
	}
	leaf, err := block(be.Uint32(tree[8:]))
	if err != nil {
		return nil, err
	}
	if len(leaf) < 12 || be.Uint16(leaf) != 1 {
		return nil, errors.New("Paths root is not a single leaf")
	}
	cnt := int(be.Uint16(leaf[2:]))
	if be.Uint32(tree[16:]) != uint32(cnt) || 12+8*cnt > len(leaf) {
		return nil, errors.New("Paths count disagrees with its leaf")
	}
	byID := map[uint32]string{}
	var out []bomEntry
	for i := 0; i < cnt; i++ {
		info1, err := block(be.Uint32(leaf[12+8*i:]))
		if err != nil {
			return nil, err
		}
		file, err := block(be.Uint32(leaf[16+8*i:]))
		if err != nil {
			return nil, err
		}
		if len(info1) < 8 || len(file) < 5 {
			return nil, errors.New("short path blocks")
		}
		info2, err := block(be.Uint32(info1[4:]))
		if err != nil {
			return nil, err
		}
		if len(info2) < 31 {
			return nil, errors.New("short PathInfo2")
		}
		name, _, _ := bytes.Cut(file[4:], []byte{0})
		e := bomEntry{id: be.Uint32(info1), parent: be.Uint32(file), Type: info2[0],
			Mode: be.Uint16(info2[4:]), UID: be.Uint32(info2[6:]), GID: be.Uint32(info2[10:]),
			MTime: be.Uint32(info2[14:]), Size: be.Uint32(info2[18:]), Checksum: be.Uint32(info2[23:])}
		if l := be.Uint32(info2[27:]); l > 0 && 31+int(l) <= len(info2) {
			e.Link = strings.TrimRight(string(info2[31:31+l]), "\x00")
		}
		if e.parent == 0 {
			e.Path = string(name)
		} else {
			p, ok := byID[e.parent]
			if !ok {
				return nil, fmt.Errorf("%s: parent %d listed after its child", name, e.parent)
			}
			e.Path = p + "/" + string(name)
		}
		byID[e.id] = e.Path
		out = append(out, e)
	}
	return out, nil
}

// cksum is the checksum of POSIX cksum(1): CRC-32 (polynomial 0x04C11DB7,
// MSB first) over the data and then its length, complemented.
func cksum(r io.Reader) uint32 {
	var crc uint32
	step := func(b byte) {
		crc = crc<<8 ^ cksumTable[byte(crc>>24)^b]
	}
	var n uint64
	buf := make([]byte, 64<<10)
	for {
		k, err := r.Read(buf)
		for _, b := range buf[:k] {
			step(b)
		}
		n += uint64(k)
		if err != nil {
			break
		}
	}
	for ; n > 0; n >>= 8 {
		step(byte(n))
	}
	return ^crc
}

var cksumTable = func() (t [256]uint32) {
	for i := range t {
		c := uint32(i) << 24
		for j := 0; j < 8; j++ {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04C11DB7
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return
}()
