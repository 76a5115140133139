package sdp

import (
	"net"
	"strings"
)

// Agreement is what offer/answer settled for a call's audio.
type Agreement struct {
	Remote     *net.UDPAddr
	RemoteRTCP *net.UDPAddr
	Send       Payload     // the codec we send (and expect)
	DTMF       *Payload    // telephone-event at Send's clock rate, if agreed
	Direction  string      // the remote side's direction
	SDES       *SDESKeys   // SRTP keys settled with a=crypto (secure mode)
	DTLS       *DTLSParams // what a DTLS-SRTP handshake needs (secure mode)
}

// Answer chooses, for a remote offer, the first of our codecs (in our
// order) that the offer lists, and telephone-event at its clock rate. The
// payload types are the offerer's; the codec and its fmtp are ours.
func Answer(offer Description, ours []Payload) (Agreement, error) {
	var a Agreement
	if offer.Port == 0 {
		return a, errNoAudio
	}
	for _, o := range ours {
		for _, p := range offer.Payloads {
			if p.Codec != nil && sameFormat(p, o) {
				a.Send = p
				a.Send.Codec, a.Send.FMTP = o.Codec, o.FMTP
				settleAnnexB(&a.Send, p.FMTP)
				a.takeRemote(offer)
				return a, nil
			}
		}
	}
	return a, errNoCommonCodec
}

// ApplyAnswer reads the remote answer to our offer: the first format it
// lists that we offered is what both sides send.
func ApplyAnswer(answer Description, offered []Payload) (Agreement, error) {
	var a Agreement
	if answer.Port == 0 {
		return a, errNoAudio
	}
	for _, p := range answer.Payloads {
		for _, o := range offered {
			if p.Codec != nil && sameFormat(p, o) {
				a.Send = p
				a.Send.Codec = o.Codec // ours (the phone's codecs), not the registry's
				settleAnnexB(&a.Send, p.FMTP)
				a.takeRemote(answer)
				return a, nil
			}
		}
	}
	return a, errNoCommonCodec
}

func sameFormat(a, b Payload) bool {
	return strings.EqualFold(a.Name, b.Name) && a.Rate == b.Rate
}

// takeRemote completes an agreement once the send codec is chosen: the
// remote's telephone-event at that codec's rate, its direction and its
// RTP and RTCP addresses.
func (a *Agreement) takeRemote(remote Description) {
	for i := range remote.DTMF {
		if remote.DTMF[i].Rate == a.Send.Rate {
			d := remote.DTMF[i]
			a.DTMF = &d
			break
		}
	}
	a.Direction = remote.Direction
	a.Remote = &net.UDPAddr{IP: net.ParseIP(remote.Addr), Port: remote.Port}
	a.RemoteRTCP = &net.UDPAddr{IP: net.ParseIP(remote.Addr), Port: remote.RTCPPort}
}

// AnswerDirection is our direction in an answer to a remote direction
// while we want `want` (sendrecv, or sendonly while we hold).
func AnswerDirection(remote, want string) string {
	switch remote {
	case SendOnly:
		if want == SendOnly {
			return Inactive
		}
		return RecvOnly
	case RecvOnly:
		if want == SendOnly || want == SendRecv {
			return SendOnly
		}
		return Inactive
	case Inactive:
		return Inactive
	}
	return want
}
