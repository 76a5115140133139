package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/helper/support"
	"github.com/openbpclient/bpclient/helper/support/chart"
)

// TestDrawsTheCallsFromStdin: a call's samples in, a PNG out whose
// panels hold every metric's line colour.
func TestDrawsTheCallsFromStdin(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	c := support.CallHistory{CallID: "a", Started: t0}
	for i := 0; i < 12; i++ {
		c.Samples = append(c.Samples, support.QualitySample{At: t0.Add(time.Duration(i*5) * time.Second),
			MOS: 4.1, LossPct: float64(i % 3), JitterMs: 4 + float64(i), RTTMs: 30 + float64(i)})
	}
	in, err := json.Marshal(support.ChartInput{Calls: []support.CallHistory{c}})
	if err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if code := run(nil, bytes.NewReader(in), &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	img, err := png.Decode(&out)
	if err != nil {
		t.Fatalf("stdout is not a PNG: %v", err)
	}
	b := img.Bounds()
	for j, m := range chart.Metrics {
		cell := image.Rect(b.Min.X+b.Dx()*j/len(chart.Metrics), b.Min.Y, b.Min.X+b.Dx()*(j+1)/len(chart.Metrics), b.Max.Y)
		if n := chart.CountColor(img, cell, m.Color); n < 50 {
			t.Errorf("%s: %d pixels of its colour, want a line", m.Title, n)
		}
	}
}

// TestRefusesBadInput: what is not the calls' JSON, or exceeds the
// bounds, exits 2 with a reason on stderr and nothing on stdout.
func TestRefusesBadInput(t *testing.T) {
	call := `{"callId":"a","started":"2026-12-03T10:00:00Z","samples":[]}`
	many := func(n int, item string) string { return strings.TrimSuffix(strings.Repeat(item+",", n), ",") }
	sample := `{"at":"2026-12-03T10:00:05Z","mos":4}`
	for _, tc := range []struct {
		name, in, want string
		args           []string
	}{
		{name: "empty", in: "", want: "not the calls' JSON"},
		{name: "not JSON", in: "\x89PNG", want: "not the calls' JSON"},
		{name: "wrong shape", in: `[{"callId":"a"}]`, want: "not the calls' JSON"},
		{name: "no calls", in: `{"calls":[]}`, want: "no calls to draw"},
		{name: "trailing value", in: `{"calls":[` + call + `]} {}`, want: "more than one JSON value"},
		{name: "too many calls", in: `{"calls":[` + many(chart.MaxCalls+1, call) + `]}`, want: "11 calls, at most 10"},
		{name: "too many samples", in: `{"calls":[{"callId":"a","samples":[` + many(chart.MaxSamplesPerCall+1, sample) + `]}]}`, want: "721 samples"},
		{name: "too big", in: `{"calls":[` + call + `],"pad":"` + strings.Repeat("x", chart.MaxInputBytes) + `"}`, want: "more than 4194304 bytes"},
		{name: "arguments", args: []string{"-o", "x.png"}, want: "takes no arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			code := run(tc.args, strings.NewReader(tc.in), &out, &errs)
			if code != exitBadInput {
				t.Errorf("exit %d, want %d", code, exitBadInput)
			}
			if !strings.Contains(errs.String(), tc.want) {
				t.Errorf("stderr %q, want it to say %q", errs.String(), tc.want)
			}
			if out.Len() != 0 {
				t.Errorf("%d bytes on stdout", out.Len())
			}
		})
	}
}
