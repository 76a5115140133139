package doctor

import (
	"context"
	"fmt"
	"math"
)

// silentMicPeak is the loudest sample, as a share of full scale, below
// which a whole call's microphone counts as silent: -60 dBFS, under the
// noise floor of any microphone that is switched on (a quiet room
// reaches -70 to -50 dBFS only on a muted or disconnected input; speech
// peaks near -20 dBFS).
const silentMicPeak = 0.001

// MicrophoneCheck says whether the microphone sent sound in the last
// call whose microphone level is known: silent throughout, it is muted
// at the computer or the wrong device. Only the level is kept, never the
// audio. Pages do not get it: the call may be another origin's.
func MicrophoneCheck(probe QualityProbe) Check {
	return func(ctx context.Context, view View) []Result {
		if view.Origin != "" {
			return nil
		}
		res := Result{ID: "audio.microphone", Title: "The microphone sends your voice", Status: OK}
		calls, err := probe(ctx)
		if err != nil {
			res.Status, res.Found = Warning, "the last call's microphone level cannot be read"
			res.Fix = "Start the helper, then check again after a call."
			return []Result{res}
		}
		var last *CallQuality
		for i := len(calls) - 1; i >= 0; i-- {
			if calls[i].MicPeak != nil {
				last = &calls[i]
				break
			}
		}
		switch {
		case last == nil:
			res.Found = "no call's microphone level is known yet"
		case *last.MicPeak < silentMicPeak:
			res.Status = Warning
			res.Found = fmt.Sprintf("the microphone sent only silence in the call of %s", last.Started.Local().Format("15:04"))
			res.Fix = "Unmute your headset's microphone and turn up its input level in the computer's sound settings, or choose the right microphone in the Agent Desktop."
		default:
			res.Found = fmt.Sprintf("the microphone sent sound in the call of %s (peak %.0f dBFS)", last.Started.Local().Format("15:04"), 20*math.Log10(*last.MicPeak))
		}
		return []Result{res}
	}
}
