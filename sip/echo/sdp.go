package echo

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"github.com/openbpclient/bpclient/audio/codec"
)

// maxOffer bounds the SDP the echo parses; a phone's offer is a few
// hundred bytes.
const maxOffer = 16 << 10

var errNoCodec = errors.New("the offer lists no codec the echo knows")

// offer is what the echo needs of a caller's SDP: the first audio format
// it can name, the telephone-event formats and the caller's direction.
type offer struct {
	format    sdp.Codec
	dtmf      []sdp.Codec
	direction string
}

// parseOffer reads the audio stream of an SDP offer. Sending packets back
// needs no codec, but the answer must name one both sides know, so the
// first format audio/codec knows is chosen, as the phone would choose it.
func parseOffer(body []byte) (offer, error) {
	var o offer
	if len(body) > maxOffer {
		return o, fmt.Errorf("sdp offer of %d bytes is too large", len(body))
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(string(body)); err != nil {
		return o, fmt.Errorf("parse sdp offer: %w", err)
	}
	var audio *sdp.MediaDescription
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media == "audio" {
			audio = md
			break
		}
	}
	if audio == nil {
		return o, errors.New("the sdp offer has no audio stream")
	}
	o.direction = direction(sd.Attributes, "sendrecv")
	o.direction = direction(audio.Attributes, o.direction)
	formats := sd.GetCodecMap()
	chosen := false
	for _, f := range audio.MediaName.Formats {
		pt, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			continue
		}
		c, ok := formats[uint8(pt)]
		if !ok {
			continue
		}
		if strings.EqualFold(c.Name, "telephone-event") {
			o.dtmf = append(o.dtmf, c)
			continue
		}
		if _, err := codec.Lookup(c.Name, int(c.ClockRate)); err == nil && !chosen {
			o.format, chosen = c, true
		}
	}
	if !chosen {
		return o, errNoCodec
	}
	return o, nil
}

// direction is the last direction attribute in attrs, else def.
func direction(attrs []sdp.Attribute, def string) string {
	for _, a := range attrs {
		switch a.Key {
		case "sendrecv", "sendonly", "recvonly", "inactive":
			def = a.Key
		}
	}
	return def
}

// answerDirection mirrors the caller's direction: the echo sends back
// whatever it is sent.
func answerDirection(remote string) string {
	switch remote {
	case "sendonly":
		return "recvonly"
	case "recvonly":
		return "sendonly"
	case "inactive":
		return "inactive"
	}
	return "sendrecv"
}

type answerParams struct {
	addr              string
	rtpPort, rtcpPort int
	version           uint64
}

// buildAnswer writes the echo's answer: the chosen format and the
// caller's telephone-event formats, with the caller's payload types.
func buildAnswer(o offer, p answerParams) ([]byte, error) {
	ipVersion := "IP4"
	if ip := net.ParseIP(p.addr); ip == nil {
		return nil, fmt.Errorf("answer address %q is not an IP address", p.addr)
	} else if ip.To4() == nil {
		ipVersion = "IP6"
	}
	conn := &sdp.ConnectionInformation{NetworkType: "IN", AddressType: ipVersion, Address: &sdp.Address{Address: p.addr}}
	md := &sdp.MediaDescription{MediaName: sdp.MediaName{
		Media: "audio", Port: sdp.RangedPort{Value: p.rtpPort}, Protos: []string{"RTP", "AVP"}}}
	for _, c := range append([]sdp.Codec{o.format}, o.dtmf...) {
		md.MediaName.Formats = append(md.MediaName.Formats, strconv.Itoa(int(c.PayloadType)))
		rtpmap := fmt.Sprintf("%d %s/%d", c.PayloadType, c.Name, c.ClockRate)
		if c.EncodingParameters != "" {
			rtpmap += "/" + c.EncodingParameters
		}
		md.WithValueAttribute("rtpmap", rtpmap)
		if c.Fmtp != "" {
			md.WithValueAttribute("fmtp", fmt.Sprintf("%d %s", c.PayloadType, c.Fmtp))
		}
	}
	md.WithValueAttribute("rtcp", strconv.Itoa(p.rtcpPort))
	md.WithValueAttribute("ptime", "20")
	md.WithPropertyAttribute(answerDirection(o.direction))
	sd := sdp.SessionDescription{
		Origin: sdp.Origin{Username: "echo", SessionID: 1, SessionVersion: p.version,
			NetworkType: "IN", AddressType: ipVersion, UnicastAddress: p.addr},
		SessionName:           "echo",
		ConnectionInformation: conn,
		TimeDescriptions:      []sdp.TimeDescription{{}},
		MediaDescriptions:     []*sdp.MediaDescription{md},
	}
	return sd.Marshal()
}
