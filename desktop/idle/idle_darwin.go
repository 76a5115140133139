package idle

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ebitengine/purego"
)

// macOS, through purego (no cgo, so CGO_ENABLED=0 darwin builds keep
// compiling): the idle time is IOKit's HIDIdleTime, a property of the
// IOHIDSystem service in the IORegistry (nanoseconds since the last HID
// event, any device); the lock is CoreGraphics'
// CGSessionCopyCurrentDictionary, whose "CGSSessionScreenIsLocked" is
// true while the screen is locked.
//
// UNTESTED ON A MAC: written against Apple's documented signatures and
// never run (the project's machines and CI have no Mac). helper.status
// says so (presence.note) until a Mac has run TestDarwinSource.
const darwinNote = "untested on a Mac: IOKit HIDIdleTime and CGSessionCopyCurrentDictionary through purego, never run on macOS yet"

const (
	iokitPath     = "/System/Library/Frameworks/IOKit.framework/IOKit"
	cfPath        = "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation"
	cgPath        = "/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics"
	cfUTF8        = 0x08000100 // kCFStringEncodingUTF8
	cfSInt64      = 4          // kCFNumberSInt64Type
	mainPort      = 0          // kIOMainPortDefault (MACH_PORT_NULL)
	LockCGSession = "cgsession-screen-is-locked"
)

// darwinAPI are the C functions, bound once by bind.
type darwinAPI struct {
	ioServiceMatching               func(name string) uintptr
	ioServiceGetMatchingService     func(port uint32, matching uintptr) uint32
	ioRegistryEntryCreateCFProperty func(entry uint32, key uintptr, allocator uintptr, options uint32) uintptr
	ioObjectRelease                 func(obj uint32) int32

	cfStringCreateWithCString func(allocator uintptr, s string, encoding uint32) uintptr
	cfGetTypeID               func(obj uintptr) uintptr
	cfNumberGetTypeID         func() uintptr
	cfNumberGetValue          func(number uintptr, kind int, out *int64) bool
	cfDictionaryGetValue      func(dict uintptr, key uintptr) uintptr
	cfBooleanGetValue         func(b uintptr) bool
	cfRelease                 func(obj uintptr)

	cgSessionCopyCurrentDictionary func() uintptr
}

// bind loads the frameworks and their functions; a missing one is an
// error, not purego's panic.
func bind() (api *darwinAPI, err error) {
	libs := map[string]uintptr{}
	for _, path := range []string{iokitPath, cfPath, cgPath} {
		h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			return nil, fmt.Errorf("dlopen %s: %w", path, err)
		}
		libs[path] = h
	}
	api = &darwinAPI{}
	for _, f := range []struct {
		ptr  any
		lib  string
		name string
	}{
		{&api.ioServiceMatching, iokitPath, "IOServiceMatching"},
		{&api.ioServiceGetMatchingService, iokitPath, "IOServiceGetMatchingService"},
		{&api.ioRegistryEntryCreateCFProperty, iokitPath, "IORegistryEntryCreateCFProperty"},
		{&api.ioObjectRelease, iokitPath, "IOObjectRelease"},
		{&api.cfStringCreateWithCString, cfPath, "CFStringCreateWithCString"},
		{&api.cfGetTypeID, cfPath, "CFGetTypeID"},
		{&api.cfNumberGetTypeID, cfPath, "CFNumberGetTypeID"},
		{&api.cfNumberGetValue, cfPath, "CFNumberGetValue"},
		{&api.cfDictionaryGetValue, cfPath, "CFDictionaryGetValue"},
		{&api.cfBooleanGetValue, cfPath, "CFBooleanGetValue"},
		{&api.cfRelease, cfPath, "CFRelease"},
		{&api.cgSessionCopyCurrentDictionary, cgPath, "CGSessionCopyCurrentDictionary"},
	} {
		if _, err := purego.Dlsym(libs[f.lib], f.name); err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		purego.RegisterLibFunc(f.ptr, libs[f.lib], f.name)
	}
	return api, nil
}

// darwin holds the IOHIDSystem service and the two keys for as long as
// it is open.
type darwin struct {
	api *darwinAPI

	mu        sync.Mutex
	hid       uint32  // io_service_t of IOHIDSystem; 0 once closed
	idleKey   uintptr // CFString "HIDIdleTime"
	lockedKey uintptr // CFString "CGSSessionScreenIsLocked"
}

var errClosed = errors.New("idle: the source is closed")

func open(Options) (Source, error) {
	api, err := bind()
	if err != nil {
		return nil, unavailable("%v", err)
	}
	// IOServiceGetMatchingService consumes the matching dictionary.
	hid := api.ioServiceGetMatchingService(mainPort, api.ioServiceMatching("IOHIDSystem"))
	if hid == 0 {
		return nil, unavailable("no IOHIDSystem service in the IORegistry")
	}
	d := &darwin{api: api, hid: hid,
		idleKey:   api.cfStringCreateWithCString(0, "HIDIdleTime", cfUTF8),
		lockedKey: api.cfStringCreateWithCString(0, "CGSSessionScreenIsLocked", cfUTF8)}
	if _, err := d.Read(context.Background()); err != nil {
		d.Close()
		return nil, unavailable("%v", err)
	}
	return d, nil
}

// Read implements Source.
func (d *darwin) Read(ctx context.Context) (Reading, error) {
	if err := ctx.Err(); err != nil {
		return Reading{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.hid == 0 {
		return Reading{}, errClosed
	}
	prop := d.api.ioRegistryEntryCreateCFProperty(d.hid, d.idleKey, 0, 0)
	if prop == 0 {
		return Reading{}, errors.New("idle: IOHIDSystem has no HIDIdleTime")
	}
	defer d.api.cfRelease(prop)
	var ns int64
	if d.api.cfGetTypeID(prop) != d.api.cfNumberGetTypeID() || !d.api.cfNumberGetValue(prop, cfSInt64, &ns) || ns < 0 {
		return Reading{}, errors.New("idle: HIDIdleTime is not a number of nanoseconds")
	}
	return Reading{Idle: msToDuration(uint64(ns) / 1e6), Locked: d.lockedLocked()}, nil
}

// lockedLocked: the key is there, and true, only while the screen is
// locked; no session dictionary (no window server: ssh) is not locked.
func (d *darwin) lockedLocked() bool {
	dict := d.api.cgSessionCopyCurrentDictionary()
	if dict == 0 {
		return false
	}
	defer d.api.cfRelease(dict)
	v := d.api.cfDictionaryGetValue(dict, d.lockedKey)
	return v != 0 && d.api.cfBooleanGetValue(v)
}

// Name implements Source.
func (d *darwin) Name() string { return SourceMacOS }

// Details implements Detailer.
func (d *darwin) Details() Details { return Details{Lock: LockCGSession, Note: darwinNote} }

// Close implements Source.
func (d *darwin) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.hid != 0 {
		d.api.ioObjectRelease(d.hid)
		d.api.cfRelease(d.idleKey)
		d.api.cfRelease(d.lockedKey)
		d.hid = 0
	}
	return nil
}
