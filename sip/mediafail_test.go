package sip_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/audio/codec"
	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// noEncoderCodec is a codec whose encoder cannot be made: media cannot
// start once a call using it is answered.
type noEncoderCodec struct{ codec.Codec }

func (noEncoderCodec) NewEncoder() (codec.Encoder, error) {
	return nil, errors.New("no encoder in this test")
}

// TestMediaFailureAfterAckHangsUp: baresip answers our call, we ACK, and
// media cannot start (no encoder, not a security failure): the call ends
// with the reason and our BYE, so baresip does not keep a call nobody
// carries.
func TestMediaFailureAfterAckHangsUp(t *testing.T) {
	t.Parallel()
	pcmu, err := codec.Lookup("PCMU", 8000)
	if err != nil {
		t.Fatal(err)
	}
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	b := siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[1], Registrar: k.Addr(),
		Source: writeTone(t, 440, 8000), Codecs: []string{"pcmu"}})
	audio := newTestAudio(1000)
	p, ev := startPhone(t, sip.Config{Server: k.Addr(), Domain: "127.0.0.1", Username: "1001", Password: "secret1",
		Codecs: []string{"PCMU"}, RTPPortMin: 32000, RTPPortMax: 39999},
		sip.WithAudio(audio.factory), sip.WithCodecs(noEncoderCodec{pcmu}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kamailio:\n%s\nbaresip:\n%s", k.Log(), b.Log())
		}
	})
	if err := p.Register(); err != nil {
		t.Fatal(err)
	}
	ev.waitReg(t, sip.Registered)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := p.Dial(ctx, "1002"); err != nil {
		t.Fatal(err)
	}
	end := ev.waitCall(t, sip.StateEnded)
	if !strings.HasPrefix(end.Reason, "media failed: ") || !strings.Contains(end.Reason, "no encoder in this test") {
		t.Errorf("end reason %q", end.Reason)
	}
	for _, st := range ev.callStates() {
		if strings.HasPrefix(st, sip.StateConnected+":") {
			t.Errorf("the call was reported connected: %v", ev.callStates())
		}
	}
	if k.WaitCount(1, 5*time.Second, "REQ ACK sip:1002-", "(sip:1001@") == 0 {
		t.Errorf("no ACK from us")
	}
	if k.WaitCount(1, 5*time.Second, "REQ BYE sip:1002-", "(sip:1001@") == 0 {
		t.Errorf("no BYE from us")
	}
	// baresip's call ends on our BYE.
	if !b.WaitLog("session closed", sip.HangGuard) {
		t.Errorf("hang guard (%v): baresip's call did not end", sip.HangGuard)
	}
}
