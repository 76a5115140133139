package chart

import (
	"bytes"
	"image"
	"image/png"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/helper/support"
)

// TestPNGHoldsEverySeries: the picture decodes, has one row per call,
// and each call's row holds pixels of every metric's line colour.
func TestPNGHoldsEverySeries(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	var calls []support.CallHistory
	for k := 0; k < 2; k++ {
		c := support.CallHistory{CallID: "c" + string(rune('a'+k)), Started: t0}
		for i := 0; i < 12; i++ {
			c.Samples = append(c.Samples, support.QualitySample{At: t0.Add(time.Duration(i*5) * time.Second),
				MOS: 4.2 - float64(i%3)*0.3, LossPct: float64(i % 4), JitterMs: 5 + float64(i), RTTMs: 40 + float64(i*3)})
		}
		calls = append(calls, c)
	}
	data, err := PNG(calls)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	checkSeries(t, img, len(calls))
}

// checkSeries asserts that each of the rows of img (one per call) holds
// pixels of every metric's colour, in that metric's column.
func checkSeries(t *testing.T, img image.Image, rows int) {
	t.Helper()
	b := img.Bounds()
	for r := 0; r < rows; r++ {
		for j, m := range Metrics {
			cell := image.Rect(b.Min.X+b.Dx()*j/len(Metrics), b.Min.Y+b.Dy()*r/rows,
				b.Min.X+b.Dx()*(j+1)/len(Metrics), b.Min.Y+b.Dy()*(r+1)/rows)
			if n := CountColor(img, cell, m.Color); n < 50 {
				t.Errorf("call %d, %s: %d pixels of its colour %v in its panel, want a line", r+1, m.Title, n, m.Color)
			}
		}
	}
}
