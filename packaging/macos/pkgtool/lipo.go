package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
)

// A universal ("fat") Mach-O is a big-endian header listing each
// architecture's slice (CPU type and subtype, offset, size, alignment as a
// power of two), followed by the thin executables, each at an offset
// aligned to its page size: 16 KiB on arm64, 4 KiB on x86-64.

const (
	machoMagic64 = 0xfeedfacf // thin 64-bit Mach-O, little-endian on disk
	fatMagic     = 0xcafebabe
	cpuX8664     = 0x01000007
	cpuARM64     = 0x0100000c
)

type slice struct {
	cpuType, cpuSubtype uint32
	align               uint32 // log2
	data                []byte
}

func readSlice(name string) (slice, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return slice{}, err
	}
	s, err := readSliceData(data)
	if err != nil {
		return slice{}, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

func readSliceData(data []byte) (slice, error) {
	if len(data) < 12 || binary.LittleEndian.Uint32(data) != machoMagic64 {
		return slice{}, errors.New("not a thin 64-bit Mach-O")
	}
	s := slice{cpuType: binary.LittleEndian.Uint32(data[4:]), cpuSubtype: binary.LittleEndian.Uint32(data[8:]), data: data}
	switch s.cpuType {
	case cpuARM64:
		s.align = 14
	case cpuX8664:
		s.align = 12
	default:
		return slice{}, fmt.Errorf("CPU type %#x", s.cpuType)
	}
	return s, nil
}

func fat(slices []slice) []byte {
	var hdr bytes.Buffer
	be := func(v uint32) { binary.Write(&hdr, binary.BigEndian, v) }
	be(fatMagic)
	be(uint32(len(slices)))
	offset := uint32(8 + 20*len(slices))
	offsets := make([]uint32, len(slices))
	for i, s := range slices {
		a := uint32(1) << s.align
		offset = (offset + a - 1) &^ (a - 1)
		offsets[i] = offset
		be(s.cpuType)
		be(s.cpuSubtype)
		be(offset)
		be(uint32(len(s.data)))
		be(s.align)
		offset += uint32(len(s.data))
	}
	out := make([]byte, offset)
	copy(out, hdr.Bytes())
	for i, s := range slices {
		copy(out[offsets[i]:], s.data)
	}
	return out
}

func lipoCmd(args []string) error {
	fs := flag.NewFlagSet("lipo", flag.ContinueOnError)
	out := fs.String("o", "", "output file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() < 2 {
		return errors.New("usage: pkgtool lipo -o OUT IN IN...")
	}
	var slices []slice
	seen := map[uint32]bool{}
	for _, name := range fs.Args() {
		s, err := readSlice(name)
		if err != nil {
			return err
		}
		if seen[s.cpuType] {
			return fmt.Errorf("%s: a second slice for CPU type %#x", name, s.cpuType)
		}
		seen[s.cpuType] = true
		slices = append(slices, s)
	}
	return os.WriteFile(*out, fat(slices), 0o755)
}
