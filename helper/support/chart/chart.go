// Package chart draws the support bundle's picture of the last calls'
// quality with gonum.org/v1/plot: one panel (a row) per call, and in it
// one plot per metric over the call's time (MOS, loss, jitter and round
// trip), each metric's line in its own colour.
//
// Only the bpclient-chart command links it: gonum.org/v1/plot parses its
// embedded fonts when a process starts, which no agent should pay for.
// `bpclient logs collect` runs that command for the picture.
package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/openbpclient/bpclient/helper/support/callquality"
)

// Metric is one series of a call's panel.
type Metric struct {
	Title string
	Unit  string
	// Color is the series' line colour: distinct from the axes' black
	// and from each other, so that the picture can be checked by them.
	Color color.RGBA
	Value func(callquality.QualitySample) float64
}

// Metrics are drawn left to right in this order.
var Metrics = []Metric{
	{"MOS", "1-5", color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, func(s callquality.QualitySample) float64 { return s.MOS }},
	{"Loss", "%", color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, func(s callquality.QualitySample) float64 { return s.LossPct }},
	{"Jitter", "ms", color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, func(s callquality.QualitySample) float64 { return s.JitterMs }},
	{"Round trip", "ms", color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}, func(s callquality.QualitySample) float64 { return s.RTTMs }},
}

// Panel sizes, in points; the picture is drawn at 96 dpi.
const (
	metricWidth = 4 * vg.Inch
	panelHeight = 2.2 * vg.Inch
	dpi         = 96
)

// PNG draws calls (oldest first, as the history keeps them), one row
// each. Calls without samples get a row that says so.
func PNG(calls []callquality.CallHistory) ([]byte, error) {
	if len(calls) == 0 {
		return nil, fmt.Errorf("no calls to draw")
	}
	rows := make([][]*plot.Plot, len(calls))
	for i, c := range calls {
		rows[i] = make([]*plot.Plot, len(Metrics))
		for j, m := range Metrics {
			p, err := metricPlot(i, c, m, j == 0)
			if err != nil {
				return nil, err
			}
			rows[i][j] = p
		}
	}
	w, h := metricWidth*vg.Length(len(Metrics)), panelHeight*vg.Length(len(calls))
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(calls), Cols: len(Metrics), PadX: vg.Millimeter * 2, PadY: vg.Millimeter * 2,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(rows, tiles, dc)
	for i := range rows {
		for j := range rows[i] {
			rows[i][j].Draw(canvases[i][j])
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img.Image()); err != nil {
		return nil, fmt.Errorf("encode the quality picture: %w", err)
	}
	return buf.Bytes(), nil
}

// metricPlot is metric m of call c (the i-th) over the call's seconds.
func metricPlot(i int, c callquality.CallHistory, m Metric, first bool) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = m.Title
	if first {
		p.Title.Text = fmt.Sprintf("Call %d, %s: %s", i+1, c.Started.UTC().Format(time.DateTime), m.Title)
	}
	p.X.Label.Text = "seconds"
	p.Y.Label.Text = m.Unit
	p.Y.Min = 0
	if m.Title == "MOS" {
		p.Y.Min, p.Y.Max = 1, 5
	}
	pts := make(plotter.XYs, 0, len(c.Samples))
	top := 0.0
	for _, s := range c.Samples {
		v := m.Value(s)
		top = max(top, v)
		pts = append(pts, plotter.XY{X: s.At.Sub(c.Started).Seconds(), Y: v})
	}
	if top < 1 && m.Title != "MOS" {
		// A perfect call's zeros sit on the bottom of a unit scale.
		p.Y.Max = 1
	}
	if len(pts) == 0 {
		p.Title.Text += " (no reports)"
		return p, nil
	}
	line, err := plotter.NewLine(pts)
	if err != nil {
		return nil, fmt.Errorf("call %d %s: %w", i+1, m.Title, err)
	}
	line.Color = m.Color
	line.Width = vg.Points(2.5)
	p.Add(plotter.NewGrid(), line)
	return p, nil
}
