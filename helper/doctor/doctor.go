// Package doctor explains why the helper does not work: one check per
// thing that goes wrong, each with a status, what was found and a fix in
// one sentence that an agent without technical knowledge can follow.
// `bpclient doctor` prints the checks; the API's helper.doctor answers
// them to pages and to the extension.
//
// Checks read the world through Roots (the user's folders, the system's
// policy folders, the Windows registry), so tests point them at temporary
// folders and create each failure for real.
package doctor

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/openbpclient/bpclient/version"
)

// Status is how a check came out.
type Status string

// The statuses, from good to bad.
const (
	OK      Status = "ok"
	Warning Status = "warning" // works, but something will bite later
	Failed  Status = "failed"  // the helper cannot work until it is fixed
)

func (s Status) rank() int {
	switch s {
	case Failed:
		return 2
	case Warning:
		return 1
	}
	return 0
}

// worse returns the worse of two statuses.
func worse(a, b Status) Status {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// Result is one check's outcome. IDs are stable (the popup and the page
// key on them); new checks add new ids.
type Result struct {
	// ID names the check: "install.manifest.chrome", "policy.edge",
	// "extension.chromium.Default", "update.minHelperVersion".
	ID string `json:"id"`
	// Browser is set for per-browser checks.
	Browser string `json:"browser,omitempty"`
	Title   string `json:"title"`
	Status  Status `json:"status"`
	// Found says what the check saw, without file paths.
	Found string `json:"found"`
	// Fix is one sentence for the agent; empty when Status is OK.
	Fix string `json:"fix,omitempty"`
	// Where is the file or registry key the check read. Local clients
	// only: pages never see it.
	Where string `json:"where,omitempty"`
}

// Report is one run of every check.
type Report struct {
	HelperVersion string   `json:"helperVersion"`
	OS            string   `json:"os"`
	CheckedAt     string   `json:"checkedAt"`
	Status        Status   `json:"status"` // the worst of the checks
	Checks        []Result `json:"checks"`
}

// Failed reports whether a check failed.
func (r *Report) Failed() bool { return r.Status == Failed }

// Count says how many checks came out with status s.
func (r *Report) Count(s Status) int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == s {
			n++
		}
	}
	return n
}

// Find returns the check with the given id.
func (r *Report) Find(id string) (Result, bool) {
	i := slices.IndexFunc(r.Checks, func(c Result) bool { return c.ID == id })
	if i < 0 {
		return Result{}, false
	}
	return r.Checks[i], true
}

// View says who asks, which decides what the report holds.
type View struct {
	// Local is set for local clients (the CLI): only they see Where and
	// the details that name files. Pages and the extension do not.
	Local bool
	// Origin, when set, is the asking page's origin: what other pages
	// did is left out.
	Origin string
}

// Check is one family of checks; it returns one result or several (one
// per browser, one per profile).
type Check func(ctx context.Context, view View) []Result

// Doctor runs checks. Build it with New.
type Doctor struct {
	checks []Check
	now    func() time.Time
	goos   string
	// running serializes runs: a page asking again and again starts one
	// set of host probes at a time, not one per request.
	running sync.Mutex
}

// Run runs every check in order and returns the report for view.
func (d *Doctor) Run(ctx context.Context, view View) *Report {
	d.running.Lock()
	defer d.running.Unlock()
	rep := &Report{
		HelperVersion: version.Version,
		OS:            d.goos,
		CheckedAt:     d.now().UTC().Format(time.RFC3339),
		Status:        OK,
		Checks:        []Result{},
	}
	for _, c := range d.checks {
		if ctx.Err() != nil {
			break
		}
		for _, r := range c(ctx, view) {
			if !view.Local {
				r.Where = ""
			}
			rep.Status = worse(rep.Status, r.Status)
			rep.Checks = append(rep.Checks, r)
		}
	}
	return rep
}

// New returns a Doctor that runs the given checks, reporting the time of
// now (nil means time.Now).
func New(now func() time.Time, checks ...Check) *Doctor {
	if now == nil {
		now = time.Now
	}
	return &Doctor{checks: checks, now: now, goos: runtime.GOOS}
}
