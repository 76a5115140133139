package idle

import (
	"io"

	"github.com/jezek/xgb"
)

// xgb's logger writes to stderr by default; nothing of a library's may
// reach the terminal. It is the process's logger: screen/capture's
// LibraryLog routes it (this package's connection's lines too) into
// BPClient.log. Set before any connection exists.
func init() { xgb.Logger.SetOutput(io.Discard) }
