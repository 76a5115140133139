package media

import (
	"errors"
	"testing"

	"github.com/openbpclient/bpclient/sip/sdes"
	"github.com/openbpclient/bpclient/sip/sdp"
)

// TestPrepareSecureTouchesNothing: a re-negotiation's keys are checked
// before anything changes: unusable ones leave the receive key as it
// was, usable ones are installed only by the install step (after the
// 200), and a re-offer that keeps the key installs nothing.
func TestPrepareSecureTouchesNothing(t *testing.T) {
	_, m := securePhoneMedia(t)
	defer m.Stop()
	ours, _ := sdes.New(1, sdes.AESCM128HMACSHA180, nil)
	theirs, _ := sdes.New(1, sdes.AESCM128HMACSHA180, nil)
	if err := m.Secure(true, sdp.Agreement{SDES: &sdp.SDESKeys{Local: ours, Remote: theirs}}); err != nil {
		t.Fatal(err)
	}
	remoteNow := func() string {
		m.mu.Lock()
		defer m.mu.Unlock()
		return string(m.secRemote)
	}
	before := remoteNow()

	keyless := sdes.Crypto{Tag: 1, Suite: sdes.AESCM128HMACSHA180} // no key: no SRTP context
	for _, neg := range []sdp.Agreement{{}, {SDES: &sdp.SDESKeys{Local: ours, Remote: keyless}}} {
		if _, err := m.PrepareSecure(true, neg); !errors.Is(err, sdp.ErrNotSecure) {
			t.Errorf("prepare %+v: %v, want sdp.ErrNotSecure", neg.SDES, err)
		}
		if remoteNow() != before {
			t.Fatal("a refused re-negotiation changed the receive key")
		}
	}

	same, err := m.PrepareSecure(true, sdp.Agreement{SDES: &sdp.SDESKeys{Local: ours, Remote: theirs}})
	if err != nil {
		t.Fatal(err)
	}
	same()
	if remoteNow() != before {
		t.Error("the same key was re-installed as another")
	}
	rekeyed, _ := sdes.New(1, sdes.AESCM128HMACSHA180, nil)
	install, err := m.PrepareSecure(true, sdp.Agreement{SDES: &sdp.SDESKeys{Local: ours, Remote: rekeyed}})
	if err != nil {
		t.Fatal(err)
	}
	if remoteNow() != before {
		t.Fatal("the new key was installed before the install step")
	}
	install()
	if remoteNow() != string(rekeyed.KeyMaterial()) {
		t.Error("the new key was not installed")
	}
}
