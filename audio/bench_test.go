package audio

import (
	"testing"
	"time"
)

// The per-frame cost of the stream machinery between a device callback
// and ReadPCM/WritePCM, with and without resampling, on the fake backend
// (no device time counted). "µs/s-audio" is CPU per second of audio: 50
// frames of 20 ms.

func benchCapture(b *testing.B, devRate int) {
	sys, fb := fakeSystem(b)
	sys.stallLimit, sys.firstIOLimit = time.Hour, time.Hour
	fb.rates["mic"] = devRate
	c, err := sys.OpenCapture("", f8k20, StreamOptions{})
	if err != nil {
		b.Fatal(err)
	}
	cs := fb.last()
	var ph float64
	dev := sine(1000, devRate, devRate/50, 0.5, &ph)
	frame := make([]int16, 160)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		cs.cb(dev)
		c.ReadPCM(frame)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)*50/1000, "µs/s-audio")
}

func benchPlayback(b *testing.B, devRate int) {
	sys, fb := fakeSystem(b)
	sys.stallLimit, sys.firstIOLimit = time.Hour, time.Hour
	fb.rates["spk"] = devRate
	p, err := sys.OpenPlayback("", f8k20, StreamOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ps := fb.last()
	var ph float64
	frame := sine(1000, 8000, 160, 0.5, &ph)
	dev := make([]int16, devRate/50)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		p.WritePCM(frame)
		ps.cb(dev)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)*50/1000, "µs/s-audio")
}

func BenchmarkCapture8kDevice(b *testing.B)        { benchCapture(b, 8000) }
func BenchmarkCapture48kDeviceTo8k(b *testing.B)   { benchCapture(b, 48000) }
func BenchmarkCapture44k1DeviceTo8k(b *testing.B)  { benchCapture(b, 44100) }
func BenchmarkPlayback8kDevice(b *testing.B)       { benchPlayback(b, 8000) }
func BenchmarkPlayback8kTo48kDevice(b *testing.B)  { benchPlayback(b, 48000) }
func BenchmarkPlayback8kTo44k1Device(b *testing.B) { benchPlayback(b, 44100) }
