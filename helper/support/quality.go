package support

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"

	"github.com/openbpclient/bpclient/helper/support/callquality"
)

// QualityCSV is one call's quality timeline: one row per quality.report,
// with the seconds since the call began, for a spreadsheet.
func QualityCSV(c CallHistory) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"time", "seconds", "mos", "lossPct", "jitterMs", "rttMs", "warnings"})
	for _, s := range c.Samples {
		_ = w.Write([]string{
			s.At.UTC().Format("2006-01-02T15:04:05.000Z"),
			fmt.Sprintf("%.1f", s.At.Sub(c.Started).Seconds()),
			fmt.Sprintf("%.2f", s.MOS), fmt.Sprintf("%.2f", s.LossPct),
			fmt.Sprintf("%.1f", s.JitterMs), fmt.Sprintf("%.0f", s.RTTMs),
			strings.Join(s.Warnings, " "),
		})
	}
	w.Flush()
	return buf.Bytes()
}

// CallFileName names call i's files in the bundle ("calls/01-<id>"),
// with only the characters of the call id that every file system takes.
func CallFileName(i int, c CallHistory) string {
	id := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return -1
	}, c.CallID)
	if len(id) > 40 {
		id = id[:40]
	}
	return fmt.Sprintf("calls/%02d-%s", i+1, id)
}

// ChartInput is what `bpclient logs collect` writes to bpclient-chart's
// stdin.
type ChartInput = callquality.ChartInput
