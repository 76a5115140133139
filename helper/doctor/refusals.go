package doctor

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/refusals"
)

// refusalWindow is how far back the check looks: older refusals were
// fixed or do not matter any more.
const refusalWindow = 7 * 24 * time.Hour

// RefusalCheck lists the pages refused in the last week and why, with
// the exact domain to allow. A page (view.Origin) hears of its own
// origin only.
func RefusalCheck(log *refusals.Log, now func() time.Time) Check {
	if now == nil {
		now = time.Now
	}
	return func(ctx context.Context, view View) []Result {
		res := Result{ID: "pages.refused", Title: "The Agent Desktop page is allowed", Status: OK, Where: log.File()}
		recs, err := log.Records()
		if err != nil {
			res.Status, res.Found = Warning, "the record of refused pages cannot be read"
			res.Fix = "Reload the Agent Desktop page, then check again."
			return []Result{res}
		}
		var found, fixes []string
		for _, r := range recs {
			at, err := time.Parse(time.RFC3339, r.At)
			if err != nil || now().Sub(at) > refusalWindow || (view.Origin != "" && r.Origin != view.Origin) {
				continue
			}
			why, fix := refusalText(r)
			times := "once"
			if r.Count > 1 {
				times = fmt.Sprintf("%d times", r.Count)
			}
			found = append(found, fmt.Sprintf("%s was refused %s (%s, last at %s)", r.Origin, why, times, r.At))
			if !slices.Contains(fixes, fix) {
				fixes = append(fixes, fix)
			}
		}
		if len(found) == 0 {
			res.Found = "no page was refused in the last week"
			return []Result{res}
		}
		res.Status = Warning
		res.Found = strings.Join(found, "; ")
		res.Fix = strings.Join(fixes, " ")
		return []Result{res}
	}
}

// refusalText says why a page was refused and how to let it in.
func refusalText(r refusals.Record) (why, fix string) {
	host := r.Origin
	if u, err := url.Parse(r.Origin); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	switch r.Reason {
	case jsonrpc.ReasonOriginNotHTTPS:
		return "because it is not served over https", "Open the Agent Desktop at its https:// address (https://" + host + ")."
	case jsonrpc.ReasonOriginNotAllowed:
		if !r.CanAsk {
			return "because " + host + " is not on the allow-list, which your administrator manages",
				"Ask IT to add " + host + " to BPClient's administrator policy."
		}
		return "because " + host + " is not on the allow-list",
			"If " + host + " is your company's Agent Desktop, allow it in the BPClient popup or with: bpclient policy allow " + host
	}
	return "because its address is not valid", "Open the Agent Desktop from its usual address."
}
