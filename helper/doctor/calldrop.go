package doctor

import (
	"context"
	"fmt"
	"strings"
)

// ConnectionCheck says whether a recent call lost its connection: the
// other side's audio had stopped and not come back when the call ended
// (the network or the phone server went away mid-call). A call that
// never received audio is the quality check's (a firewall or NAT), not
// this one's. Pages do not get it: the calls may be another origin's.
func ConnectionCheck(probe QualityProbe) Check {
	return func(ctx context.Context, view View) []Result {
		if view.Origin != "" {
			return nil
		}
		res := Result{ID: "network.callDropped", Title: "Calls keep their connection", Status: OK}
		calls, err := probe(ctx)
		if err != nil {
			res.Status, res.Found = Warning, "the last calls cannot be read"
			res.Fix = "Start the helper, then check again after a call."
			return []Result{res}
		}
		if len(calls) > qualityCalls {
			calls = calls[len(calls)-qualityCalls:]
		}
		var lost []string
		for _, c := range calls {
			if c.EndedWithoutAudio && !c.receivedNothing() {
				lost = append(lost, "the call of "+c.Started.Local().Format("15:04"))
			}
		}
		if len(lost) == 0 {
			res.Found = fmt.Sprintf("none of the last %d calls lost its connection", len(calls))
			return []Result{res}
		}
		res.Status = Warning
		res.Found = "you lost your connection during " + strings.Join(lost, " and ") + ": the other side's audio stopped and had not come back when it ended"
		res.Fix = "Check your network cable or Wi-Fi; if it happens again, tell IT the time of the call."
		return []Result{res}
	}
}
