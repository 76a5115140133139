//go:build cgo && g729

package sip_test

import (
	"context"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/audio/codec"
	"github.com/openbpclient/bpclient/internal/bcg729"
	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// bcg729Codec is G.729 through bcg729, whatever audio/codec registers as
// "G729": the far end of TestG729OnlyCall, so that the phone's G.729 is
// heard by, and hears, an independent implementation.
type bcg729Codec struct{}

func (bcg729Codec) Info() codec.Info {
	return codec.Info{Name: "G729", PayloadType: 18, Static: true, ClockRate: 8000, SampleRate: 8000, Channels: 1,
		FMTP: "annexb=no"}
}

func (bcg729Codec) NewEncoder() (codec.Encoder, error) {
	e, err := bcg729.NewEncoder(false)
	if err != nil {
		return nil, err
	}
	return e, nil
}

func (bcg729Codec) NewDecoder() (codec.Decoder, error) {
	d, err := bcg729.NewDecoder()
	if err != nil {
		return nil, err
	}
	return d, nil
}

// TestG729OnlyCall: two of our phones through Kamailio, whose only common
// codec is G.729: the caller (the agent's side) with the G.729 of this
// build, the registry's, which is our pure-Go audio/codec/g729; the
// callee with bcg729, an independent implementation. Both report G729 connected, and each hears the
// other's tone at its frequency (the caller 1000 Hz, the callee 600 Hz).
func TestG729OnlyCall(t *testing.T) {
	t.Parallel()
	g729, err := codec.Lookup("G729", 8000)
	if err != nil {
		t.Fatal(err)
	}
	pcmu, err := codec.Lookup("PCMU", 8000)
	if err != nil {
		t.Fatal(err)
	}
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kamailio:\n%s", k.Log())
		}
	})
	// The caller also has PCMU, the callee only G.729: the answer must
	// pick G.729 although the caller lists it after PCMU.
	callerAudio, calleeAudio := newTestAudio(1000), newTestAudio(600)
	caller, callerEv := startPhone(t, sip.Config{Server: k.Addr(), Domain: "127.0.0.1", Username: "1001", Password: "secret1",
		Codecs: []string{"PCMU", "G729"}, RTPPortMin: 32000, RTPPortMax: 39999},
		sip.WithAudio(callerAudio.factory), sip.WithCodecs(pcmu, g729))
	callee, calleeEv := startPhone(t, sip.Config{Server: k.Addr(), Domain: "127.0.0.1", Username: "1002", Password: "secret2",
		Codecs: []string{"G729"}, RTPPortMin: 32000, RTPPortMax: 39999},
		sip.WithAudio(calleeAudio.factory), sip.WithCodecs(bcg729Codec{}))
	registerBoth(t, caller, callerEv, callee, calleeEv)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, inCall := dialAndAnswer(t, ctx, caller, callee, calleeEv, "1002")
	if st := callerEv.waitCall(t, sip.StateConnected); st.Codec != "G729" {
		t.Errorf("caller connected with %q, want G729", st.Codec)
	}
	if st := calleeEv.waitCall(t, sip.StateConnected); st.Codec != "G729" {
		t.Errorf("callee connected with %q, want G729", st.Codec)
	}
	time.Sleep(2 * time.Second)
	if err := out.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	callerEv.waitCall(t, sip.StateEnded)
	calleeEv.waitCall(t, sip.StateEnded)

	heard, rate := callerAudio.heard(out.ID())
	checkTone(t, "what the caller (this build's G.729) heard from bcg729", heard, rate, 600)
	heard, rate = calleeAudio.heard(inCall.ID())
	checkTone(t, "what the callee (bcg729) heard from this build's G.729", heard, rate, 1000)
}
