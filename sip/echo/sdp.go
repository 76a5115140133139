package echo

import (
	"errors"
	"fmt"
	"net"

	"github.com/openbpclient/bpclient/sip/sdp"
)

var errNoCodec = errors.New("the offer lists no codec the echo knows")

// offer is what the echo needs of a caller's SDP: the first audio format
// it can name, the telephone-event formats and the caller's direction.
type offer struct {
	format    sdp.Payload
	dtmf      []sdp.Payload
	direction string
}

// parseOffer reads the audio stream of an SDP offer. Sending packets back
// needs no codec, but the answer must name one both sides know, so the
// first format audio/codec knows is chosen, as the phone would choose it.
func parseOffer(body []byte) (offer, error) {
	d, err := sdp.Parse(body)
	if err != nil {
		return offer{}, err
	}
	for _, p := range d.Payloads {
		if p.Codec != nil {
			return offer{format: p, dtmf: d.DTMF, direction: d.Direction}, nil
		}
	}
	return offer{}, errNoCodec
}

type answerParams struct {
	addr              string
	rtpPort, rtcpPort int
	version           uint64
}

// buildAnswer writes the echo's answer: the chosen format and the
// caller's telephone-event formats, with the caller's payload types, in
// the direction that mirrors the caller's (the echo sends back whatever
// it is sent).
func buildAnswer(o offer, p answerParams) ([]byte, error) {
	if net.ParseIP(p.addr) == nil {
		return nil, fmt.Errorf("answer address %q is not an IP address", p.addr)
	}
	return sdp.Build(sdp.Local{Name: "echo", SessionID: 1, Version: p.version, Addr: p.addr,
		Port: p.rtpPort, RTCPPort: p.rtcpPort, Direction: sdp.AnswerDirection(o.direction, sdp.SendRecv),
		Payloads: []sdp.Payload{o.format}, DTMF: o.dtmf}), nil
}
