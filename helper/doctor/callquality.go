package doctor

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// CallQuality is one recent call's quality in a few numbers (the support
// history's summary).
type CallQuality struct {
	CallID      string
	Started     time.Time
	Reports     int
	MinMOS      float64
	MeanMOS     float64
	MaxLossPct  float64
	MaxJitterMs float64
	MaxRTTMs    float64
	// PacketsReceived is the other side's audio packets the call got;
	// nil: not known.
	PacketsReceived *uint64
	// MicPeak is the loudest microphone sample the call sent, 0..1 of
	// full scale; nil: not known (no microphone, or always muted).
	MicPeak *float64
	// AudioStops counts the times the other side's audio stopped;
	// EndedWithoutAudio says it was still missing at the end.
	AudioStops        int
	EndedWithoutAudio bool
}

// receivedNothing says the call got none of the other side's audio.
func (c CallQuality) receivedNothing() bool {
	return c.PacketsReceived != nil && *c.PacketsReceived == 0
}

// QualityProbe returns the last calls, oldest first.
type QualityProbe func(ctx context.Context) ([]CallQuality, error)

// Thresholds of the quality check: those of the phone's quality.warning
// (sip/media), and the MOS below which people hear it.
const (
	qualityCalls     = 5 // the last calls judged
	lossThreshold    = 2.0
	jitterThreshold  = 20.0
	rttThreshold     = 240.0
	mosThreshold     = 3.6
	noAudioLossPct   = 99.0
	qualityCheckName = "network.quality"
)

// qualityCause is one threshold crossed, with what likely causes it.
type qualityCause struct {
	found, fix string
}

// QualityCheck judges the last calls' quality from the history: a call
// whose loss, jitter, round trip or MOS crossed its threshold is a
// warning naming the likely cause. Pages do not get it: the calls may be
// another origin's.
func QualityCheck(probe QualityProbe) Check {
	return func(ctx context.Context, view View) []Result {
		if view.Origin != "" {
			return nil
		}
		res := Result{ID: qualityCheckName, Title: "The network carries the calls' audio well", Status: OK}
		calls, err := probe(ctx)
		if err != nil {
			res.Status, res.Found = Warning, "the last calls' quality cannot be read"
			res.Fix = "Start the helper, then check again after a call."
			return []Result{res}
		}
		var judged []CallQuality
		for _, c := range calls {
			if c.Reports > 0 {
				judged = append(judged, c)
			}
		}
		if len(judged) > qualityCalls {
			judged = judged[len(judged)-qualityCalls:]
		}
		if len(judged) == 0 {
			res.Found = "no call's quality is known yet"
			return []Result{res}
		}
		var found []string
		fixes := map[string]bool{}
		var fix []string
		bad := 0
		for _, c := range judged {
			causes := qualityCauses(c)
			if len(causes) == 0 {
				continue
			}
			bad++
			var what []string
			for _, k := range causes {
				what = append(what, k.found)
				if !fixes[k.fix] {
					fixes[k.fix] = true
					fix = append(fix, k.fix)
				}
			}
			found = append(found, fmt.Sprintf("the call of %s: %s", c.Started.Local().Format("15:04"), strings.Join(what, ", ")))
		}
		if bad == 0 {
			res.Found = fmt.Sprintf("the last %d calls sounded fine", len(judged))
			return []Result{res}
		}
		res.Status = Warning
		res.Found = fmt.Sprintf("%d of the last %d calls had trouble: %s", bad, len(judged), strings.Join(found, "; "))
		res.Fix = strings.Join(fix, " ")
		return []Result{res}
	}
}

// qualityCauses lists the thresholds call c crossed, worst first.
func qualityCauses(c CallQuality) []qualityCause {
	if c.MaxLossPct >= noAudioLossPct || c.receivedNothing() {
		return []qualityCause{{
			found: "no audio arrived from the other side",
			fix:   "A firewall or the router (NAT) drops the call's audio: ask IT to let BPClient's UDP audio through.",
		}}
	}
	var out []qualityCause
	if c.MaxLossPct > lossThreshold {
		out = append(out, qualityCause{
			found: fmt.Sprintf("%.0f%% of the audio lost", c.MaxLossPct),
			fix:   "Audio is lost on the way: use a cable instead of Wi-Fi, or stop large downloads and video during calls.",
		})
	}
	if c.MaxJitterMs > jitterThreshold {
		out = append(out, qualityCause{
			found: fmt.Sprintf("audio arriving unevenly (jitter %.0f ms)", c.MaxJitterMs),
			fix:   "The network is busy or the Wi-Fi weak: move closer to the access point or use a cable.",
		})
	}
	if c.MaxRTTMs > rttThreshold {
		out = append(out, qualityCause{
			found: fmt.Sprintf("a long delay (round trip %.0f ms)", c.MaxRTTMs),
			fix:   "The audio takes a long way: if you use a VPN, ask IT whether calls can bypass it.",
		})
	}
	if len(out) == 0 && c.MinMOS > 0 && c.MinMOS < mosThreshold {
		out = append(out, qualityCause{
			found: fmt.Sprintf("poor sound (MOS %.1f)", c.MinMOS),
			fix:   "Check your network connection; if calls stay poor, tell IT the time of the call.",
		})
	}
	return out
}
