package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLinksNoPlottingLibrary: bpclient, and so every agent, links no
// gonum: gonum.org/v1/plot parses its embedded fonts when a process
// starts (8 MB of binary, 9 MB of an idle agent's memory). The quality
// picture is bpclient-chart's.
func TestLinksNoPlottingLibrary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "gonum.org/") || strings.HasPrefix(pkg, "codeberg.org/go-fonts/") || strings.Contains(pkg, "/support/chart") {
			t.Errorf("bpclient links %s", pkg)
		}
	}
}
