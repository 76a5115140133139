package media

import (
	"os/exec"
	"strings"
	"testing"
)

// The engine sits below signalling: it may use sip's leaf packages (sdp,
// srtpmedia, dtlssrtp, sdes, internal helpers), never sip itself nor
// the SIP stack, so that it stays testable without a SIP server.
const sipStack = "github.com/emiago/sipgo"

func TestMediaImportsNothingOfSIP(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list gave %d packages; the check would be empty", len(deps))
	}
	for _, dep := range deps {
		if dep == "github.com/openbpclient/bpclient/sip" || dep == sipStack || strings.HasPrefix(dep, sipStack+"/") {
			t.Errorf("sip/media depends on %s", dep)
		}
	}
}
