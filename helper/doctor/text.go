package doctor

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText prints the report as a table for people: one line per check,
// and under a check that is not OK what was found and the fix.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tCHECK\tFOUND")
	for _, c := range r.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", strings.ToUpper(string(c.Status)), c.Title, c.Found)
		if c.Status != OK && c.Fix != "" {
			fmt.Fprintf(tw, "\t\tFix: %s\n", c.Fix)
		}
		if c.Status != OK && c.Where != "" {
			fmt.Fprintf(tw, "\t\tWhere: %s\n", c.Where)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d ok, %d warning, %d failed (BPClient %s, %s)\n",
		r.Count(OK), r.Count(Warning), r.Count(Failed), r.HelperVersion, r.OS)
	return err
}
