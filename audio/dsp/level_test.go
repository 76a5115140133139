package dsp

import (
	"math"
	"testing"
)

func TestLevels(t *testing.T) {
	full := Sine(8000, 1000, 8000, 1)
	for _, c := range []struct {
		name      string
		pcm       []int16
		rms, peak float64
	}{
		{"full-scale sine", full, -3.01, 0},
		{"-20 dBFS sine", Sine(8000, 1000, 8000, 0.1), -23.01, -20},
		{"silence", make([]int16, 160), MinDBFS, MinDBFS},
		{"square", []int16{-32768, -32768, -32768, -32768}, 0, 0},
	} {
		var m Meter
		m.Add(c.pcm[:len(c.pcm)/2])
		m.Add(c.pcm[len(c.pcm)/2:])
		l := m.Read()
		if math.Abs(l.RMSDBFS-c.rms) > 0.05 || math.Abs(l.PeakDBFS-c.peak) > 0.05 {
			t.Errorf("%s: rms %.2f peak %.2f, want %.2f %.2f", c.name, l.RMSDBFS, l.PeakDBFS, c.rms, c.peak)
		}
		if l.Samples != len(c.pcm) {
			t.Errorf("%s: %d samples", c.name, l.Samples)
		}
		if math.Abs(DBFS(RMS(c.pcm))-c.rms) > 0.05 || math.Abs(DBFS(Peak(c.pcm))-c.peak) > 0.05 {
			t.Errorf("%s: RMS/Peak disagree with Meter", c.name)
		}
	}
	var m Meter
	m.Add([]int16{32767, -32768, 0})
	if m.Read().Clipped != 2 {
		t.Errorf("clipped = %d", m.Read().Clipped)
	}
	m.Reset()
	if m.Read().Samples != 0 {
		t.Error("Reset kept samples")
	}
	if v := FromDBFS(-6.0206); math.Abs(v-0.5) > 1e-4 {
		t.Errorf("FromDBFS(-6.02) = %f", v)
	}
	if a := testing.AllocsPerRun(100, func() { m.Add(full[:160]) }); a != 0 {
		t.Errorf("Meter.Add: %.0f allocs", a)
	}
}

func TestAnalysis(t *testing.T) {
	pcm := Sine(8000, 1000, 8000, 0.5)
	noise := Sine(8000, 2500, 8000, 0.005)
	for i := range pcm {
		pcm[i] += noise[i]
	}
	if a := Goertzel(pcm, 1000, 8000); math.Abs(a-0.5) > 0.01 {
		t.Errorf("Goertzel 1 kHz = %.3f", a)
	}
	if a := Goertzel(pcm, 1500, 8000); a > 0.01 {
		t.Errorf("Goertzel 1.5 kHz = %.3f", a)
	}
	if a, r := SineFit(pcm, 1000, 8000); math.Abs(a-0.5) > 0.001 || math.Abs(r-0.005/math.Sqrt2) > 0.0005 {
		t.Errorf("SineFit = %.4f, %.4f", a, r)
	}
	if s := ToneSNR(pcm, 1000, 8000); math.Abs(s-40) > 0.5 {
		t.Errorf("ToneSNR = %.1f, want 40", s)
	}
	if f := DominantFrequency(pcm, 8000); math.Abs(f-1000) > 2 {
		t.Errorf("DominantFrequency = %.1f", f)
	}
	delayed := append(make([]int16, 7), pcm...)
	if s, lag := SNR(pcm, delayed, 20); lag != 7 || !math.IsInf(s, 1) {
		t.Errorf("SNR of a delayed copy = %.1f at lag %d", s, lag)
	}
	x := make([]complex128, 8)
	x[1] = 1
	FFT(x)
	for k, v := range x {
		if want := complex(math.Cos(2*math.Pi*float64(k)/8), -math.Sin(2*math.Pi*float64(k)/8)); math.Abs(real(v-want))+math.Abs(imag(v-want)) > 1e-9 {
			t.Errorf("FFT bin %d = %v, want %v", k, v, want)
		}
	}
}
