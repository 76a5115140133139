// Package media is a call's RTP engine: a Session (media.go) on the
// call's RTP and RTCP sockets sends the microphone and DTMF (send.go),
// receives into the jitter buffer (receive.go, jitter.go), whose delay
// follows the measured arrival delays (delay.go), with RFC 3550
// statistics (rxstats.go), plays out on the media clock (playout.go,
// clock.go) concealing losses (conceal.go), exchanges RTCP reports
// (rtcp.go, roundtrip.go, rtcpgate.go) and reports quality (stats.go,
// quality.go). Secure calls are protected with SRTP keyed by SDES
// (secure.go) or by DTLS on the media sockets (dtls.go); a stream is
// taken only from its peer (latch.go, beforekeys.go).
//
// It knows nothing of SIP: the call negotiates with sip/sdp, hands the
// agreement to Start and Update, and names the Sink's reports as its
// events. Every goroutine of a Session ends in Stop.
package media
