//go:build race

package sip_test

// raceDetector: the race detector slows every goroutine several times,
// so a call's adaptive jitter buffer grows as it would on a loaded
// machine, and the MOS computed from that delay drops with it.
const raceDetector = true
