package dsp

import "math"

// Levels are in dBFS relative to a full-scale square wave (32768), so a
// full-scale sine reads -3.01 dBFS RMS and 0 dBFS peak. Silence reads
// MinDBFS rather than -Inf, so the values survive JSON.

// MinDBFS is the floor reported for silence.
const MinDBFS = -120.0

// DBFS converts a linear amplitude (1.0 = full scale) to dBFS, floored at
// MinDBFS.
func DBFS(amplitude float64) float64 {
	if amplitude <= 0 {
		return MinDBFS
	}
	return math.Max(MinDBFS, 20*math.Log10(amplitude))
}

// FromDBFS converts dBFS to a linear amplitude (1.0 = full scale).
func FromDBFS(db float64) float64 { return math.Pow(10, db/20) }

// RMS returns the root mean square of pcm, 1.0 = full scale.
func RMS(pcm []int16) float64 {
	if len(pcm) == 0 {
		return 0
	}
	var sum float64
	for _, s := range pcm {
		v := float64(s)
		sum += v * v
	}
	return math.Sqrt(sum/float64(len(pcm))) / 32768
}

// Peak returns the largest absolute sample of pcm, 1.0 = full scale.
func Peak(pcm []int16) float64 {
	m := 0
	for _, s := range pcm {
		v := int(s)
		if v < 0 {
			v = -v
		}
		if v > m {
			m = v
		}
	}
	return float64(m) / 32768
}

// Meter accumulates RMS and peak over frames, for a level display that
// updates every few frames. The zero value is ready to use; it does not
// allocate.
type Meter struct {
	sum   float64
	n     int
	peak  int
	clips int
}

// Add folds one frame into the meter.
func (m *Meter) Add(pcm []int16) {
	for _, s := range pcm {
		v := int(s)
		m.sum += float64(v * v)
		if v < 0 {
			v = -v
		}
		if v > m.peak {
			m.peak = v
		}
		if v >= 32767 {
			m.clips++
		}
	}
	m.n += len(pcm)
}

// Level is one meter reading.
type Level struct {
	RMSDBFS  float64 `json:"rmsDbfs"`
	PeakDBFS float64 `json:"peakDbfs"`
	Clipped  int     `json:"clipped"` // samples at full scale
	Samples  int     `json:"samples"`
}

// Read returns the level since the last Reset (or since the start).
func (m *Meter) Read() Level {
	l := Level{RMSDBFS: MinDBFS, PeakDBFS: DBFS(float64(m.peak) / 32768), Clipped: m.clips, Samples: m.n}
	if m.n > 0 {
		l.RMSDBFS = DBFS(math.Sqrt(m.sum/float64(m.n)) / 32768)
	}
	return l
}

// Reset starts a new measuring period.
func (m *Meter) Reset() { *m = Meter{} }
