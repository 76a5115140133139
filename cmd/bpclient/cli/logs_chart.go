package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/openbpclient/bpclient/helper/paths"
	"github.com/openbpclient/bpclient/helper/support"
)

// The quality picture is drawn by bpclient-chart, a program of its own
// installed next to bpclient: linking the plotting library here would
// make every agent parse its fonts at start-up (8 MB more of resident
// memory per agent). It is found in bpclient's own folder and never on
// PATH, so that no other program of that name draws into a bundle.
const (
	chartProgram = "bpclient-chart"
	// chartTimeout bounds a drawing of ten calls, which takes well under
	// a second; a helper that hangs must not hold the bundle.
	chartTimeout = 30 * time.Second
	// maxChartPNG bounds what is read of the helper's picture; ten rows
	// of four plots are about 200 kB.
	maxChartPNG = 16 << 20
	// maxChartStderr is how much of the helper's complaint is kept.
	maxChartStderr = 2 << 10
)

// chartBeside is the bpclient-chart next to bpclient's own executable.
func chartBeside() (string, error) { return paths.Beside(chartProgram) }

func chartIn(dir string) string { return paths.ProgramIn(dir, chartProgram) }

// addQualityPicture adds quality.png drawn by the helper at chart within
// limit, or notes in the manifest why there is none: the CSVs stand
// without it.
func addQualityPicture(ctx context.Context, b *support.Bundle, chart string, calls []support.CallHistory, limit time.Duration) {
	png, err := drawQuality(ctx, chart, calls, limit)
	if err != nil {
		b.Missing("quality.png", err)
		return
	}
	b.AddBinary("quality.png", png)
}

// drawQuality runs the helper at chart with the calls on its stdin and
// answers the PNG from its stdout, killing it after limit.
func drawQuality(ctx context.Context, chart string, calls []support.CallHistory, limit time.Duration) ([]byte, error) {
	if _, err := os.Stat(chart); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s is not installed next to bpclient (%s): the CSVs have the same numbers", chartProgram, filepath.Dir(chart))
		}
		return nil, fmt.Errorf("%s: %w", chartProgram, err)
	}
	in, err := json.Marshal(support.ChartInput{Calls: calls})
	if err != nil {
		return nil, fmt.Errorf("%s: encode the calls: %w", chartProgram, err)
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, chart)
	cmd.WaitDelay = time.Second
	noConsoleWindow(cmd)
	out := &cappedBuffer{max: maxChartPNG}
	errs := &cappedBuffer{max: maxChartStderr, truncate: true}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(in), out, errs
	err = cmd.Run()
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return nil, fmt.Errorf("%s: no picture within %v", chartProgram, limit)
	case out.over:
		return nil, fmt.Errorf("%s: picture larger than %d bytes", chartProgram, maxChartPNG)
	case err != nil:
		return nil, fmt.Errorf("%s: %w: %s", chartProgram, err, bytes.TrimSpace(errs.buf.Bytes()))
	case out.buf.Len() == 0:
		return nil, fmt.Errorf("%s: wrote no picture", chartProgram)
	}
	return out.buf.Bytes(), nil
}

// cappedBuffer keeps at most max bytes. Past that it fails the write
// (stopping the helper) or, with truncate, drops the rest quietly.
type cappedBuffer struct {
	buf      bytes.Buffer
	max      int
	truncate bool
	over     bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); len(p) > room {
		c.over = true
		c.buf.Write(p[:max(room, 0)])
		if c.truncate {
			return len(p), nil
		}
		return 0, errors.New("output too large")
	}
	return c.buf.Write(p)
}
