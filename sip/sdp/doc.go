// Package sdp is the offer/answer of a call's audio (RFC 3264, RFC 4566),
// keying attributes included: it reads an SDP into a Description, writes
// ours from a Local, chooses the codec of an answer (Answer) or reads the
// choice of one (ApplyAnswer), and settles SRTP keying from a=crypto
// (SDES, RFC 4568, through package sdes) or a=fingerprint and a=setup
// (DTLS-SRTP, RFC 5763, through package dtlssrtp).
//
// It is pure: no sockets, no goroutines, no call state. What a call
// remembers between offers (the suite in use, the peer's certificate)
// the caller passes in.
package sdp
