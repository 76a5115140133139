package sdp

import (
	"errors"
	"fmt"

	"github.com/openbpclient/bpclient/sip/dtlssrtp"
	"github.com/openbpclient/bpclient/sip/sdes"
)

// The m= line profiles of a call's audio.
const (
	ProtoAVP  = "RTP/AVP"
	ProtoSAVP = "RTP/SAVP"         // SRTP keyed with SDES
	ProtoDTLS = "UDP/TLS/RTP/SAVP" // SRTP keyed with DTLS-SRTP
)

// ErrNotSecure wraps every reason a call could not be secured; its text
// is the call's end reason. No key reaches its text: sdes redacts keys
// when printed, and only the SDP body carries them.
var ErrNotSecure = errors.New("the call could not be secured")

// SDESKeys are the SRTP keys a=crypto offer/answer settled.
type SDESKeys struct {
	Local  sdes.Crypto // ours: encrypts what we send
	Remote sdes.Crypto // theirs: decrypts what we receive
}

// AnswerSDES answers a remote offer's a=crypto lines: the first offered
// suite of suites, with a fresh key of ours.
func AnswerSDES(offer Description, suites []string) (*SDESKeys, error) {
	offered, perr := sdes.ParseAll(offer.Crypto)
	remote, local, err := sdes.Answer(offered, suites, nil)
	if err != nil {
		if perr != nil {
			err = errors.Join(err, perr)
		}
		return nil, fmt.Errorf("%w: %v", ErrNotSecure, err)
	}
	return &SDESKeys{Local: local, Remote: remote}, nil
}

// AcceptSDES checks the remote answer to our a=crypto offer (ours):
// exactly one a=crypto matching one we offered.
func AcceptSDES(ours []sdes.Crypto, answer Description) (*SDESKeys, error) {
	if len(answer.Crypto) == 0 {
		return nil, fmt.Errorf("%w: the answer has no SRTP key (a=crypto); secure mode does not fall back to plain RTP", ErrNotSecure)
	}
	answered, perr := sdes.ParseAll(answer.Crypto)
	local, remote, err := sdes.Accept(ours, answered)
	if err != nil {
		if perr != nil {
			err = perr
		}
		return nil, fmt.Errorf("%w: %v", ErrNotSecure, err)
	}
	return &SDESKeys{Local: local, Remote: remote}, nil
}

// ReofferSDES answers a re-offer on a call keyed with settled: the
// re-offer must carry a key for the suite in use; we answer with our key
// as before (under the re-offer's tag) and take the peer's, new or not.
func ReofferSDES(settled sdes.Crypto, reoffer Description) (*SDESKeys, error) {
	offered, _ := sdes.ParseAll(reoffer.Crypto)
	for _, o := range offered {
		if o.Suite == settled.Suite {
			local := settled
			local.Tag = o.Tag
			return &SDESKeys{Local: local, Remote: o}, nil
		}
	}
	return nil, fmt.Errorf("%w: the re-offer has no SRTP key for %s", ErrNotSecure, settled.Suite)
}

// DTLSParams are what the DTLS-SRTP handshake of a call needs from the
// SDP.
type DTLSParams struct {
	Client bool                   // we are a=setup:active
	Setup  dtlssrtp.Setup         // our a=setup in the answer
	Remote []dtlssrtp.Fingerprint // the peer's certificate must match one
}

// ParseFingerprints reads a peer's a=fingerprint values: one usable is
// enough, ones we cannot read are skipped (another may name a hash we
// know).
func ParseFingerprints(values []string) ([]dtlssrtp.Fingerprint, error) {
	var out []dtlssrtp.Fingerprint
	var first error
	for _, v := range values {
		fp, err := dtlssrtp.ParseFingerprint(v)
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		out = append(out, fp)
	}
	if len(out) == 0 {
		if first == nil {
			first = errors.New("no a=fingerprint")
		}
		return nil, first
	}
	return out, nil
}

// peerDTLS reads the peer's side of DTLS-SRTP from its SDP: its
// certificate's fingerprints and its a=setup.
func peerDTLS(d Description) ([]dtlssrtp.Fingerprint, dtlssrtp.Setup, error) {
	fps, err := ParseFingerprints(d.Fingerprints)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrNotSecure, err)
	}
	setup, err := dtlssrtp.ParseSetup(d.Setup)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrNotSecure, err)
	}
	return fps, setup, nil
}

// AcceptDTLS checks the answer to our DTLS offer (a=setup:actpass): a
// fingerprint and a role for each side.
func AcceptDTLS(answer Description) (*DTLSParams, error) {
	if len(answer.Fingerprints) == 0 {
		return nil, fmt.Errorf("%w: the answer has no DTLS fingerprint (a=fingerprint); secure mode does not fall back to plain RTP", ErrNotSecure)
	}
	fps, setup, err := peerDTLS(answer)
	if err != nil {
		return nil, err
	}
	client, err := dtlssrtp.OffererRole(setup)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotSecure, err)
	}
	own := dtlssrtp.SetupPassive
	if client {
		own = dtlssrtp.SetupActive
	}
	return &DTLSParams{Client: client, Setup: own, Remote: fps}, nil
}

// AnswerDTLS answers an offer that keys with DTLS: our role and the
// peer's fingerprints.
func AnswerDTLS(offer Description) (*DTLSParams, error) {
	fps, setup, err := peerDTLS(offer)
	if err != nil {
		return nil, err
	}
	own, err := dtlssrtp.AnswerSetup(setup)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotSecure, err)
	}
	return &DTLSParams{Client: own == dtlssrtp.SetupActive, Setup: own, Remote: fps}, nil
}

// ReofferDTLS reads the fingerprints of a re-offer on a DTLS call: the
// association stays, so the re-offer must still be DTLS-SRTP (the caller
// checks that it names the same certificate).
func ReofferDTLS(reoffer Description) ([]dtlssrtp.Fingerprint, error) {
	if len(reoffer.Fingerprints) == 0 {
		return nil, fmt.Errorf("%w: the re-offer has no DTLS fingerprint", ErrNotSecure)
	}
	fps, err := ParseFingerprints(reoffer.Fingerprints)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotSecure, err)
	}
	return fps, nil
}
