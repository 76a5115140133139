package sip

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"github.com/openbpclient/bpclient/audio/codec"
)

// Media directions (RFC 3264 §5.1).
const (
	dirSendRecv = "sendrecv"
	dirSendOnly = "sendonly"
	dirRecvOnly = "recvonly"
	dirInactive = "inactive"
)

// payload is one audio format as an SDP m= line lists it.
type payload struct {
	pt    uint8
	codec codec.Codec
	name  string // encoding name as written
	rate  int    // RTP clock rate
	chans int
	fmtp  string
}

// mediaOffer is the audio part of an SDP we build or parsed.
type mediaOffer struct {
	addr      string // connection address
	port      int    // RTP port; 0 means the stream is refused
	rtcpPort  int    // from a=rtcp, or port+1
	payloads  []payload
	dtmf      []payload // telephone-event entries (one per clock rate)
	direction string
	ptime     int
	hasCrypto bool
	crypto    []string // a=crypto values (secure mode, RFC 4568)
	proto     string   // the m= line's profile: RTP/AVP, RTP/SAVP, UDP/TLS/RTP/SAVP
	// DTLS-SRTP (RFC 5763): a=fingerprint values (the media's, else the
	// session's) and a=setup (likewise).
	fingerprints []string
	setup        string
}

var (
	errNoAudio       = errors.New("sdp has no audio stream")
	errNoCommonCodec = errors.New("no codec in common")
)

// maxSDP bounds what we parse: an SDP of a phone call is a few hundred bytes.
const maxSDP = 16 << 10

// parseSDP reads the first audio stream of an SDP body. Codecs we do not
// have are kept with a nil codec so an answer can skip them.
func parseSDP(body []byte) (mediaOffer, error) {
	var m mediaOffer
	if len(body) > maxSDP {
		return m, fmt.Errorf("sdp of %d bytes is too large", len(body))
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(string(body)); err != nil {
		return m, fmt.Errorf("parse sdp: %w", err)
	}
	sessionAddr := ""
	if sd.ConnectionInformation != nil && sd.ConnectionInformation.Address != nil {
		sessionAddr = sd.ConnectionInformation.Address.Address
	}
	sessionDir := dirSendRecv
	var sessionFP []string
	sessionSetup := ""
	for _, a := range sd.Attributes {
		switch a.Key {
		case dirSendRecv, dirSendOnly, dirRecvOnly, dirInactive:
			sessionDir = a.Key
		case "fingerprint":
			sessionFP = append(sessionFP, a.Value)
		case "setup":
			sessionSetup = a.Value
		}
	}
	var md *sdp.MediaDescription
	for _, d := range sd.MediaDescriptions {
		if d.MediaName.Media == "audio" {
			md = d
			break
		}
	}
	if md == nil {
		return m, errNoAudio
	}
	m.port = md.MediaName.Port.Value
	m.proto = strings.Join(md.MediaName.Protos, "/")
	if m.port < 0 || m.port > 65535 {
		return m, fmt.Errorf("sdp audio port %d", m.port)
	}
	m.addr = sessionAddr
	if md.ConnectionInformation != nil && md.ConnectionInformation.Address != nil {
		m.addr = md.ConnectionInformation.Address.Address
	}
	if m.port != 0 {
		if ip := net.ParseIP(m.addr); ip == nil {
			return m, fmt.Errorf("sdp connection address %q is not an IP address", m.addr)
		}
	}
	m.direction = sessionDir
	rtpmap := map[uint8]string{}
	fmtp := map[uint8]string{}
	for _, a := range md.Attributes {
		switch a.Key {
		case dirSendRecv, dirSendOnly, dirRecvOnly, dirInactive:
			m.direction = a.Key
		case "rtpmap":
			pt, rest, ok := strings.Cut(a.Value, " ")
			if n, err := strconv.Atoi(pt); ok && err == nil && n >= 0 && n < 128 {
				rtpmap[uint8(n)] = strings.TrimSpace(rest)
			}
		case "fmtp":
			pt, rest, ok := strings.Cut(a.Value, " ")
			if n, err := strconv.Atoi(pt); ok && err == nil && n >= 0 && n < 128 {
				fmtp[uint8(n)] = strings.TrimSpace(rest)
			}
		case "ptime":
			if n, err := strconv.Atoi(strings.TrimSpace(a.Value)); err == nil && n > 0 && n <= 200 {
				m.ptime = n
			}
		case "rtcp":
			f := strings.Fields(a.Value)
			if len(f) > 0 {
				if n, err := strconv.Atoi(f[0]); err == nil && n > 0 && n < 65536 {
					m.rtcpPort = n
				}
			}
		case "crypto":
			m.hasCrypto = true
			m.crypto = append(m.crypto, a.Value)
		case "fingerprint":
			m.fingerprints = append(m.fingerprints, a.Value)
		case "setup":
			m.setup = a.Value
		}
	}
	if len(m.fingerprints) == 0 {
		m.fingerprints = sessionFP
	}
	if m.setup == "" {
		m.setup = sessionSetup
	}
	if m.rtcpPort == 0 && m.port != 0 {
		m.rtcpPort = m.port + 1
	}
	for _, f := range md.MediaName.Formats {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || n > 127 {
			continue
		}
		pt := uint8(n)
		p := payload{pt: pt, chans: 1, fmtp: fmtp[pt]}
		if rm, ok := rtpmap[pt]; ok {
			parts := strings.Split(rm, "/")
			p.name = parts[0]
			if len(parts) > 1 {
				p.rate, _ = strconv.Atoi(parts[1])
			}
			if len(parts) > 2 {
				p.chans, _ = strconv.Atoi(parts[2])
			}
		} else {
			// Static payload types may come without rtpmap (RFC 3551).
			switch pt {
			case 0:
				p.name, p.rate = "PCMU", 8000
			case 8:
				p.name, p.rate = "PCMA", 8000
			case 9:
				p.name, p.rate = "G722", 8000
			case 18:
				p.name, p.rate = "G729", 8000
			default:
				continue
			}
		}
		if strings.EqualFold(p.name, "telephone-event") {
			m.dtmf = append(m.dtmf, p)
			continue
		}
		if c, err := codec.Lookup(p.name, p.rate); err == nil {
			p.codec = c
		}
		m.payloads = append(m.payloads, p)
	}
	if len(m.payloads) == 0 && m.port != 0 {
		return m, fmt.Errorf("%w: the audio stream lists no format", errNoCommonCodec)
	}
	return m, nil
}

// localPayloads gives our codecs their payload types: static ones as
// assigned, dynamic ones numbered from 96 (skipping telephone-event's).
func localPayloads(cs []codec.Codec) []payload {
	var out []payload
	next := uint8(96)
	for _, c := range cs {
		info := c.Info()
		pt := info.PayloadType
		if !info.Static {
			for next == 101 || next == 102 {
				next++
			}
			pt = next
			next++
		}
		out = append(out, payload{pt: pt, codec: c, name: info.Name, rate: info.ClockRate, chans: info.Channels, fmtp: info.FMTP})
	}
	return out
}

// dtmfFor returns the telephone-event payloads for the clock rates of ps.
func dtmfFor(ps []payload) []payload {
	var out []payload
	seen := map[int]bool{}
	for _, p := range ps {
		if seen[p.rate] {
			continue
		}
		seen[p.rate] = true
		pt := uint8(101)
		if p.rate != 8000 {
			pt = 102
		}
		out = append(out, payload{pt: pt, name: "telephone-event", rate: p.rate, chans: 1, fmtp: "0-16"})
	}
	return out
}

// sdpParams are the session-level values of an SDP we write.
type sdpParams struct {
	sessionID uint64
	version   uint64
	addr      string
	port      int
	direction string
	payloads  []payload
	dtmf      []payload
	proto     string   // default RTP/AVP
	crypto    []string // a=crypto values (secure mode)
	// DTLS-SRTP: our certificate's a=fingerprint and our a=setup.
	fingerprint, setup string
}

// buildSDP writes an SDP with one audio stream (RFC 4566).
func buildSDP(p sdpParams) []byte {
	ipv := "IP4"
	if ip := net.ParseIP(p.addr); ip != nil && ip.To4() == nil {
		ipv = "IP6"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=bpclient %d %d IN %s %s\r\ns=bpclient\r\nc=IN %s %s\r\nt=0 0\r\n",
		p.sessionID, p.version, ipv, p.addr, ipv, p.addr)
	proto := p.proto
	if proto == "" {
		proto = protoAVP
	}
	fmt.Fprintf(&b, "m=audio %d %s", p.port, proto)
	for _, pl := range p.payloads {
		fmt.Fprintf(&b, " %d", pl.pt)
	}
	for _, pl := range p.dtmf {
		fmt.Fprintf(&b, " %d", pl.pt)
	}
	b.WriteString("\r\n")
	for _, pl := range append(append([]payload{}, p.payloads...), p.dtmf...) {
		if pl.chans > 1 {
			fmt.Fprintf(&b, "a=rtpmap:%d %s/%d/%d\r\n", pl.pt, pl.name, pl.rate, pl.chans)
		} else {
			fmt.Fprintf(&b, "a=rtpmap:%d %s/%d\r\n", pl.pt, pl.name, pl.rate)
		}
		if pl.fmtp != "" {
			fmt.Fprintf(&b, "a=fmtp:%d %s\r\n", pl.pt, pl.fmtp)
		}
	}
	for _, c := range p.crypto {
		fmt.Fprintf(&b, "a=crypto:%s\r\n", c)
	}
	if p.fingerprint != "" {
		fmt.Fprintf(&b, "a=setup:%s\r\na=fingerprint:%s\r\n", p.setup, p.fingerprint)
	}
	fmt.Fprintf(&b, "a=rtcp:%d\r\na=ptime:20\r\na=%s\r\n", p.port+1, p.direction)
	return []byte(b.String())
}

// negotiated is what offer/answer settled for a call's audio.
type negotiated struct {
	remote    *net.UDPAddr
	remoteRTC *net.UDPAddr
	send      payload     // the codec we send (and expect)
	dtmf      *payload    // telephone-event at send's clock rate, if agreed
	direction string      // the remote side's direction
	keys      *secureKeys // SRTP keys settled in secure mode (SDES)
	dtls      *dtlsParams // what a DTLS-SRTP handshake needs (secure mode)
}

// answerTo chooses, for a remote offer, the first of our codecs (in our
// order) that the offer lists, and telephone-event at its clock rate. The
// payload types are the offerer's.
func answerTo(offer mediaOffer, ours []payload) (negotiated, error) {
	var n negotiated
	if offer.port == 0 {
		return n, errNoAudio
	}
	for _, o := range ours {
		for _, p := range offer.payloads {
			if p.codec != nil && strings.EqualFold(p.name, o.name) && p.rate == o.rate {
				n.send = p
				n.send.codec, n.send.fmtp = o.codec, o.fmtp
				goto found
			}
		}
	}
	return n, errNoCommonCodec
found:
	n.takeRemote(offer)
	return n, nil
}

// fromAnswer reads the remote answer to our offer: the first format it
// lists that we offered is what both sides send.
func fromAnswer(answer mediaOffer, offered []payload) (negotiated, error) {
	var n negotiated
	if answer.port == 0 {
		return n, errNoAudio
	}
	for _, p := range answer.payloads {
		for _, o := range offered {
			if strings.EqualFold(p.name, o.name) && p.rate == o.rate && p.codec != nil {
				n.send = p
				n.send.codec = o.codec // ours (WithCodecs), not the registry's
				goto found
			}
		}
	}
	return n, errNoCommonCodec
found:
	n.takeRemote(answer)
	return n, nil
}

// takeRemote completes a negotiation once the send codec is chosen: the
// remote's telephone-event at that codec's rate, its direction and its
// RTP and RTCP addresses.
func (n *negotiated) takeRemote(remote mediaOffer) {
	for i := range remote.dtmf {
		if remote.dtmf[i].rate == n.send.rate {
			d := remote.dtmf[i]
			n.dtmf = &d
			break
		}
	}
	n.direction = remote.direction
	n.remote = &net.UDPAddr{IP: net.ParseIP(remote.addr), Port: remote.port}
	n.remoteRTC = &net.UDPAddr{IP: net.ParseIP(remote.addr), Port: remote.rtcpPort}
}

// answerDirection is our direction in an answer to a remote direction
// while we want `want` (sendrecv, or sendonly while we hold).
func answerDirection(remote, want string) string {
	switch remote {
	case dirSendOnly:
		if want == dirSendOnly {
			return dirInactive
		}
		return dirRecvOnly
	case dirRecvOnly:
		if want == dirSendOnly || want == dirSendRecv {
			return dirSendOnly
		}
		return dirInactive
	case dirInactive:
		return dirInactive
	}
	return want
}
