package sdp

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	psdp "github.com/pion/sdp/v3"

	"github.com/openbpclient/bpclient/audio/codec"
)

// Media directions (RFC 3264 §5.1).
const (
	SendRecv = "sendrecv"
	SendOnly = "sendonly"
	RecvOnly = "recvonly"
	Inactive = "inactive"
)

// Payload is one audio format as an SDP m= line lists it.
type Payload struct {
	PT       uint8
	Codec    codec.Codec // nil for a format audio/codec does not have
	Name     string      // encoding name as written
	Rate     int         // RTP clock rate
	Channels int
	FMTP     string
}

// Description is the audio part of an SDP: the first audio stream, with
// the session-level values it inherits.
type Description struct {
	Addr      string // connection address
	Port      int    // RTP port; 0 means the stream is refused
	RTCPPort  int    // from a=rtcp, or Port+1
	Payloads  []Payload
	DTMF      []Payload // telephone-event entries (one per clock rate)
	Direction string
	Ptime     int
	Proto     string   // the m= line's profile: RTP/AVP, RTP/SAVP, UDP/TLS/RTP/SAVP
	Crypto    []string // a=crypto values (SDES, RFC 4568)
	// DTLS-SRTP (RFC 5763): a=fingerprint values (the media's, else the
	// session's) and a=setup (likewise).
	Fingerprints []string
	Setup        string
}

var (
	errNoAudio       = errors.New("sdp has no audio stream")
	errNoCommonCodec = errors.New("no codec in common")
)

// MaxSize bounds what Parse reads: an SDP of a phone call is a few
// hundred bytes.
const MaxSize = 16 << 10

// Parse reads the first audio stream of an SDP body. Codecs audio/codec
// does not have are kept with a nil Codec so an answer can skip them.
func Parse(body []byte) (Description, error) {
	var m Description
	if len(body) > MaxSize {
		return m, fmt.Errorf("sdp of %d bytes is too large", len(body))
	}
	var sd psdp.SessionDescription
	if err := sd.UnmarshalString(string(body)); err != nil {
		return m, fmt.Errorf("parse sdp: %w", err)
	}
	sessionAddr := ""
	if sd.ConnectionInformation != nil && sd.ConnectionInformation.Address != nil {
		sessionAddr = sd.ConnectionInformation.Address.Address
	}
	sessionDir := SendRecv
	var sessionFP []string
	sessionSetup := ""
	for _, a := range sd.Attributes {
		switch a.Key {
		case SendRecv, SendOnly, RecvOnly, Inactive:
			sessionDir = a.Key
		case "fingerprint":
			sessionFP = append(sessionFP, a.Value)
		case "setup":
			sessionSetup = a.Value
		}
	}
	var md *psdp.MediaDescription
	for _, d := range sd.MediaDescriptions {
		if d.MediaName.Media == "audio" {
			md = d
			break
		}
	}
	if md == nil {
		return m, errNoAudio
	}
	m.Port = md.MediaName.Port.Value
	m.Proto = strings.Join(md.MediaName.Protos, "/")
	if m.Port < 0 || m.Port > 65535 {
		return m, fmt.Errorf("sdp audio port %d", m.Port)
	}
	m.Addr = sessionAddr
	if md.ConnectionInformation != nil && md.ConnectionInformation.Address != nil {
		m.Addr = md.ConnectionInformation.Address.Address
	}
	if m.Port != 0 {
		if ip := net.ParseIP(m.Addr); ip == nil {
			return m, fmt.Errorf("sdp connection address %q is not an IP address", m.Addr)
		}
	}
	m.Direction = sessionDir
	rtpmap := map[uint8]string{}
	fmtp := map[uint8]string{}
	for _, a := range md.Attributes {
		switch a.Key {
		case SendRecv, SendOnly, RecvOnly, Inactive:
			m.Direction = a.Key
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
				m.Ptime = n
			}
		case "rtcp":
			f := strings.Fields(a.Value)
			if len(f) > 0 {
				if n, err := strconv.Atoi(f[0]); err == nil && n > 0 && n < 65536 {
					m.RTCPPort = n
				}
			}
		case "crypto":
			m.Crypto = append(m.Crypto, a.Value)
		case "fingerprint":
			m.Fingerprints = append(m.Fingerprints, a.Value)
		case "setup":
			m.Setup = a.Value
		}
	}
	if len(m.Fingerprints) == 0 {
		m.Fingerprints = sessionFP
	}
	if m.Setup == "" {
		m.Setup = sessionSetup
	}
	if m.RTCPPort == 0 && m.Port != 0 {
		m.RTCPPort = m.Port + 1
	}
	for _, f := range md.MediaName.Formats {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || n > 127 {
			continue
		}
		pt := uint8(n)
		p := Payload{PT: pt, Channels: 1, FMTP: fmtp[pt]}
		if rm, ok := rtpmap[pt]; ok {
			parts := strings.Split(rm, "/")
			p.Name = parts[0]
			if len(parts) > 1 {
				p.Rate, _ = strconv.Atoi(parts[1])
			}
			if len(parts) > 2 {
				p.Channels, _ = strconv.Atoi(parts[2])
			}
		} else {
			// Static payload types may come without rtpmap (RFC 3551).
			switch pt {
			case 0:
				p.Name, p.Rate = "PCMU", 8000
			case 8:
				p.Name, p.Rate = "PCMA", 8000
			case 9:
				p.Name, p.Rate = "G722", 8000
			case 18:
				p.Name, p.Rate = "G729", 8000
			default:
				continue
			}
		}
		if strings.EqualFold(p.Name, "telephone-event") {
			m.DTMF = append(m.DTMF, p)
			continue
		}
		if c, err := codec.Lookup(p.Name, p.Rate); err == nil {
			p.Codec = c
		}
		m.Payloads = append(m.Payloads, p)
	}
	if len(m.Payloads) == 0 && m.Port != 0 {
		return m, fmt.Errorf("%w: the audio stream lists no format", errNoCommonCodec)
	}
	return m, nil
}

// LocalPayloads gives our codecs their payload types: static ones as
// assigned, dynamic ones numbered from 96 (skipping telephone-event's).
func LocalPayloads(cs []codec.Codec) []Payload {
	var out []Payload
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
		out = append(out, Payload{PT: pt, Codec: c, Name: info.Name, Rate: info.ClockRate, Channels: info.Channels, FMTP: info.FMTP})
	}
	return out
}

// TelephoneEvents returns our telephone-event payloads for the clock
// rates of ps: 101 at 8 kHz, 102 at any other rate.
func TelephoneEvents(ps []Payload) []Payload {
	var out []Payload
	seen := map[int]bool{}
	for _, p := range ps {
		if seen[p.Rate] {
			continue
		}
		seen[p.Rate] = true
		pt := uint8(101)
		if p.Rate != 8000 {
			pt = 102
		}
		out = append(out, Payload{PT: pt, Name: "telephone-event", Rate: p.Rate, Channels: 1, FMTP: "0-16"})
	}
	return out
}

// Local is what an SDP we write says: an offer or an answer.
type Local struct {
	Name      string // o= user name and s= line; "bpclient" when empty
	SessionID uint64
	Version   uint64
	Addr      string
	Port      int
	RTCPPort  int // a=rtcp; Port+1 when 0
	Direction string
	Payloads  []Payload
	DTMF      []Payload
	Proto     string   // ProtoAVP when empty
	Crypto    []string // a=crypto values (SDES)
	// DTLS-SRTP: our certificate's a=fingerprint and our a=setup.
	Fingerprint, Setup string
}

// Build writes an SDP with one audio stream (RFC 4566).
func Build(p Local) []byte {
	ipv := "IP4"
	if ip := net.ParseIP(p.Addr); ip != nil && ip.To4() == nil {
		ipv = "IP6"
	}
	name := p.Name
	if name == "" {
		name = "bpclient"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=%s %d %d IN %s %s\r\ns=%s\r\nc=IN %s %s\r\nt=0 0\r\n",
		name, p.SessionID, p.Version, ipv, p.Addr, name, ipv, p.Addr)
	proto := p.Proto
	if proto == "" {
		proto = ProtoAVP
	}
	fmt.Fprintf(&b, "m=audio %d %s", p.Port, proto)
	for _, pl := range p.Payloads {
		fmt.Fprintf(&b, " %d", pl.PT)
	}
	for _, pl := range p.DTMF {
		fmt.Fprintf(&b, " %d", pl.PT)
	}
	b.WriteString("\r\n")
	for _, pl := range append(append([]Payload{}, p.Payloads...), p.DTMF...) {
		if pl.Channels > 1 {
			fmt.Fprintf(&b, "a=rtpmap:%d %s/%d/%d\r\n", pl.PT, pl.Name, pl.Rate, pl.Channels)
		} else {
			fmt.Fprintf(&b, "a=rtpmap:%d %s/%d\r\n", pl.PT, pl.Name, pl.Rate)
		}
		if pl.FMTP != "" {
			fmt.Fprintf(&b, "a=fmtp:%d %s\r\n", pl.PT, pl.FMTP)
		}
	}
	for _, c := range p.Crypto {
		fmt.Fprintf(&b, "a=crypto:%s\r\n", c)
	}
	if p.Fingerprint != "" {
		fmt.Fprintf(&b, "a=setup:%s\r\na=fingerprint:%s\r\n", p.Setup, p.Fingerprint)
	}
	rtcp := p.RTCPPort
	if rtcp == 0 {
		rtcp = p.Port + 1
	}
	fmt.Fprintf(&b, "a=rtcp:%d\r\na=ptime:20\r\na=%s\r\n", rtcp, p.Direction)
	return []byte(b.String())
}
