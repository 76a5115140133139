package safedll

import "golang.org/x/sys/windows"

func init() {
	// Nothing to do if it fails (older than Windows 8 without KB2533623):
	// the program works as before, and there is nowhere to report it this
	// early. Go's runtime and x/sys/windows load their own DLLs from
	// System32 already.
	_ = windows.SetDefaultDllDirectories(windows.LOAD_LIBRARY_SEARCH_SYSTEM32)
}
