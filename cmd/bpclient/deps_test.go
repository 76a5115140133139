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

// TestLinksNoScreenEncoderOrWebRTC: bpclient links no libvpx, no
// WebRTC, no WebM muxer and none of the recorder, the spool or the live
// stream: they are bpclient-screen's (helper/screenproxy), which the
// agent starts when a page asks. Linked, they cost every idle agent
// 2.5 MB (a Go executable is mostly resident) and a crash of libvpx or
// pion would end its calls.
func TestLinksNoScreenEncoderOrWebRTC(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	banned := []string{"github.com/pion/webrtc/", "github.com/pion/ice/", "github.com/pion/sctp", "github.com/pion/mdns/", "github.com/at-wat/ebml-go"}
	ours := []string{"screen/vp8", "screen/live", "screen/record", "screen/spool", "screen/webm", "helper/screenapi", "helper/monitorapi"}
	for _, pkg := range strings.Fields(string(out)) {
		for _, b := range banned {
			if strings.HasPrefix(pkg, b) {
				t.Errorf("bpclient links %s", pkg)
			}
		}
		for _, o := range ours {
			if pkg == "github.com/openbpclient/bpclient/"+o {
				t.Errorf("bpclient links %s", pkg)
			}
		}
	}
}
