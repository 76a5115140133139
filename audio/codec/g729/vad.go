package g729

// The voice activity detector behind DTX. It is ours, not Annex B's:
// Annex B's decision boundaries are not among the Recommendation's
// tables we hold, so it is a simple, stated one.
//
// A frame is voice when its energy stands 6 dB over a tracked noise
// floor, when it is tonal (its LP prediction gain is high: a tone, music,
// a vowel) and stands over the floor at all, during the 60 ms after
// either, and for the first 50 ms of a call. Energy alone cannot tell a
// tone or hold music that starts the call from a background, which is
// why the floor learns only from frames that sound like noise: a
// background is noise-like (white or pink noise predicts badly), while a
// tone, music and voiced speech predict well. The floor drops to a
// quieter frame at once, climbs 0.05 dB a frame through noise-like
// sound, and stays between -65 and -28 dBFS, so a loud start is voice
// whatever it sounds like, and speech after digital silence stands over
// the floor from its first frame.

const (
	fullScaleDBQ10 = 92476 // 10·log10(32768²) = 90.31 dB, Q10: a full-scale square wave's frame energy

	vadMarginDBQ10      = 6 << 10                 // speech stands this far over the noise floor
	vadTonalMarginDBQ10 = 3 << 10                 // a tonal frame needs only this much
	vadTonalGainDBQ10   = 9 << 10                 // prediction gain from which a frame is tonal
	vadFloorRiseQ10     = 51                      // the floor climbs 0.05 dB a frame through noise-like sound
	vadFloorMinDBQ10    = fullScaleDBQ10 - 65<<10 // the floor never sinks under -65 dBFS,
	vadFloorMaxDBQ10    = fullScaleDBQ10 - 28<<10 // nor rises over -28 dBFS
	vadQuietDBQ10       = fullScaleDBQ10 - 75<<10 // under -75 dBFS, silence whatever the floor
	vadHangover         = 6                       // frames of speech kept after the last loud one
	vadStartFrames      = 5                       // frames always coded as speech at the start
)

type vadState struct {
	floorQ10 int32 // noise floor, dB Q10 of a frame's mean energy
	floorSet bool  // the floor has heard a noise-like or a quiet frame
	frames   int
	hang     int
}

// active decides whether the frame in the analysis window speech (at
// frameStart) is voice.
func (v *vadState) active(speech *[windowLen]int16) bool {
	v.frames++
	energy := frameEnergyDBQ10(speech[frameStart : frameStart+FrameSamples])
	// The decision also hears the newest 10 ms (the frame shifted by the
	// 5 ms look-ahead): an onset in the look-ahead already makes this
	// frame voice, so the first syllable is not clipped. (The look-ahead
	// alone, 40 samples, swings too much in noise.)
	loudest := max(energy, frameEnergyDBQ10(speech[windowLen-FrameSamples:]))
	quiet := loudest < vadQuietDBQ10
	tonal := !quiet && predictionGainDBQ10(speech) >= vadTonalGainDBQ10
	v.track(energy, energy < vadQuietDBQ10, tonal)
	voice := !quiet && (loudest > v.floorQ10+vadMarginDBQ10 ||
		tonal && loudest > v.floorQ10+vadTonalMarginDBQ10)
	if voice || v.frames <= vadStartFrames {
		v.hang = vadHangover
		return true
	}
	if v.hang > 0 {
		v.hang--
		return true
	}
	return false
}

// track moves the noise floor with this frame: down to it at once when
// it is quieter, up slowly when it sounds like noise, never from a tonal
// frame (a tone or music must not become the background).
func (v *vadState) track(energy int32, quiet, tonal bool) {
	switch {
	case !v.floorSet && (quiet || !tonal):
		v.floorQ10, v.floorSet = energy, true
	case !v.floorSet:
		v.floorQ10 = vadFloorMinDBQ10 // nothing heard yet but tones: assume a quiet line
	case energy < v.floorQ10:
		v.floorQ10 = energy
	case !tonal:
		v.floorQ10 += vadFloorRiseQ10
	}
	v.floorQ10 = min(max(v.floorQ10, vadFloorMinDBQ10), vadFloorMaxDBQ10)
}

// frameEnergyDBQ10 is 10·log10 of the mean energy of pcm, Q10.
func frameEnergyDBQ10(pcm []int16) int32 {
	var e uint64
	for _, s := range pcm {
		e += uint64(int64(s) * int64(s))
	}
	e = e/uint64(len(pcm)) + 1
	// 10·log10(x) = 3.0103·log2(x): Q16·Q13 → Q29, halved → Q10.
	return int32(int64(log2Q16(e)) * dbPerLog2Q13 >> 20)
}

// predictionGainDBQ10 is how much better than its energy the window's
// LP predictor (the encoder's own analysis, order 10) predicts it, in dB
// Q10: near 0 dB for white noise, a few dB for pink noise, 10 to 40 dB
// for a tone, music or a vowel. An unstable solution means a signal
// predictable past what the arithmetic holds, so it counts as the most.
func predictionGainDBQ10(speech *[windowLen]int16) int32 {
	const most = 40 << 10 // the white-noise correction in autocorrelate caps the gain here
	var r [order + 1]int64
	var a [order + 1]int16
	autocorrelate(&r, speech)
	if !levinson(&a, &r) {
		return most
	}
	// The residual's energy for the autocorrelation method: Σ a_i·r_i
	// (a Q12, r under 2^28).
	var res int64
	for i, c := range a {
		res += int64(c) * r[i]
	}
	res >>= 12
	if res <= 0 {
		return most
	}
	// 10·log10(r0/res), both Q0 integers under 2^28.
	g := int64(log2Q16(uint64(r[0]))-log2Q16(uint64(res))) * dbPerLog2Q13 >> 20
	return int32(min(max(g, 0), most))
}
