package audio

import (
	"context"
	"time"

	"github.com/openbpclient/bpclient/audio/dsp"
)

// TestOptions configure a device self-test (bpclient audio test,
// audio.test).
type TestOptions struct {
	Input, Output string        // device ids; "" = the defaults
	Duration      time.Duration // default 5 s
	ToneHz        float64       // default 1000
	// OnLevel receives the microphone's level every Interval (default
	// 100 ms), from the test's goroutine.
	OnLevel  func(dsp.Level)
	Interval time.Duration
}

// TestResult sums a self-test up.
type TestResult struct {
	Input     string    `json:"input"`
	Output    string    `json:"output"`
	Seconds   float64   `json:"seconds"`
	Max       dsp.Level `json:"max"` // the loudest reading
	Overruns  uint64    `json:"overruns"`
	Underruns uint64    `json:"underruns"`
	Moves     uint64    `json:"moves"`
}

// SelfTest plays a tone on the output and meters the input until the
// duration passes or ctx ends.
func SelfTest(ctx context.Context, sys *System, o TestOptions) (TestResult, error) {
	if o.Duration <= 0 {
		o.Duration = 5 * time.Second
	}
	if o.ToneHz <= 0 {
		o.ToneHz = 1000
	}
	if o.Interval <= 0 {
		o.Interval = 100 * time.Millisecond
	}
	f := Format{Rate: 16000, Frame: 20 * time.Millisecond}
	// A peak of a quarter of full scale: audible, far from clipping.
	tone, err := dsp.NewToneGen(dsp.Tone{Name: "self-test", Freqs: [2]float64{o.ToneHz}, Levels: [2]float64{-8.9}}, f.Rate)
	if err != nil {
		return TestResult{}, err
	}
	out, err := sys.OpenPlayback(o.Output, f, StreamOptions{Name: "test"})
	if err != nil {
		return TestResult{}, err
	}
	defer out.Close()
	in, err := sys.OpenCapture(o.Input, f, StreamOptions{Name: "test"})
	if err != nil {
		return TestResult{}, err
	}
	defer in.Close()
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	// The tone: written by its own goroutine, paced by the device.
	toneDone := make(chan struct{})
	go func() {
		defer close(toneDone)
		buf := make([]int16, f.Samples())
		for ctx.Err() == nil {
			tone.Read(buf)
			if _, err := out.WritePCM(buf); err != nil {
				return
			}
		}
	}()
	// ReadPCM does not take a context: closing the capture ends it.
	stop := context.AfterFunc(ctx, func() { in.Close() })
	defer stop()
	start := time.Now()
	res := TestResult{Max: dsp.Level{RMSDBFS: dsp.MinDBFS, PeakDBFS: dsp.MinDBFS}}
	var m dsp.Meter
	buf := make([]int16, f.Samples())
	next := start.Add(o.Interval)
	for {
		n, err := in.ReadPCM(buf)
		if err != nil {
			break
		}
		m.Add(buf[:n])
		if time.Now().After(next) {
			l := m.Read()
			m.Reset()
			next = next.Add(o.Interval)
			if l.RMSDBFS > res.Max.RMSDBFS {
				res.Max.RMSDBFS = l.RMSDBFS
			}
			if l.PeakDBFS > res.Max.PeakDBFS {
				res.Max.PeakDBFS = l.PeakDBFS
			}
			res.Max.Clipped += l.Clipped
			res.Max.Samples += l.Samples
			if o.OnLevel != nil {
				o.OnLevel(l)
			}
		}
	}
	cancel()
	out.Close()
	<-toneDone
	is, os := in.Stats(), out.Stats()
	res.Input, res.Output = is.Device, os.Device
	res.Seconds = time.Since(start).Seconds()
	res.Overruns, res.Underruns, res.Moves = is.Overruns, os.Underruns, is.Moves+os.Moves
	return res, nil
}
