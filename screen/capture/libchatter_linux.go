package capture

import (
	"io"
	"strings"

	"github.com/jezek/xgb"
)

// xgb logs through one logger of its own, to stderr by default ("XGB:
// ... A read error is unrecoverable", "Could not get authority info" at
// every connection without ~/.Xauthority). It is the process's: the
// output is set once here, before any connection exists, and after that
// only through log.Logger's SetOutput, which is safe beside xgb's
// goroutines writing.
func init() { xgb.Logger.SetOutput(io.Discard) }

func libraryLog(log func(line string)) {
	if log == nil {
		xgb.Logger.SetOutput(io.Discard)
		return
	}
	xgb.Logger.SetOutput(lineWriter(log))
}

// lineWriter hands each line written to it to a function; log.Logger
// writes a whole entry a call, one at a time.
type lineWriter func(line string)

func (w lineWriter) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w(l)
	}
	return len(p), nil
}
