package doctor

import (
	"context"
	"strings"

	"github.com/openbpclient/bpclient/version"
)

// UpdateCheck compares the minHelperVersion the pages asked for with
// ours: local clients and the extension hear of every page recorded, a
// page only of its own origin.
func UpdateCheck(log *PageLog) Check {
	return func(ctx context.Context, view View) []Result {
		res := Result{ID: "update.minHelperVersion", Title: "The helper is new enough for the Agent Desktop", Status: OK, Where: log.file}
		recs, err := log.Records()
		if err != nil {
			res.Status = Warning
			res.Found = "the record of the pages' version needs cannot be read"
			res.Fix = "Reload the Agent Desktop page, then check again."
			return []Result{res}
		}
		have, _ := version.Parse(version.Version)
		var asked, tooOld []string
		newest := ""
		for _, r := range recs {
			if view.Origin != "" && r.Origin != view.Origin {
				continue
			}
			want, err := version.Parse(r.MinHelperVersion)
			if err != nil {
				continue
			}
			asked = append(asked, r.Origin)
			if have.Less(want) {
				tooOld = append(tooOld, r.Origin+" needs "+want.String()+" or newer")
				if n, _ := version.Parse(newest); newest == "" || n.Less(want) {
					newest = want.String()
				}
			}
		}
		switch {
		case len(tooOld) > 0:
			res.Status = Failed
			res.Found = "the Agent Desktop needs a newer BPClient: " + strings.Join(tooOld, ", ") + "; " + version.Version + " is installed"
			res.Fix = "Install BPClient " + newest + " or newer, or ask your IT department for it."
		case len(asked) == 0 && view.Origin != "":
			res.Found = "this page has not asked for a helper version"
		case len(asked) == 0:
			res.Found = "no Agent Desktop page has asked for a helper version yet"
		default:
			res.Found = "version " + version.Version + " is new enough for every page that asked"
		}
		return []Result{res}
	}
}
