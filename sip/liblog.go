package sip

import (
	"github.com/pion/logging"
	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/sip/internal/liblog"
)

// PionLogs is a pion logging.LoggerFactory writing to log with the
// phone's redaction of secrets (SDES keys, ICE passwords, PEM blocks,
// passwords): pion's warnings and errors keep their level, its debug and
// info are debug, its trace is dropped. The phone uses it for its own
// DTLS; the agent gives it to screen/live's WebRTC, which must not import
// this package, so that the screen's library lines reach BPClient.log
// redacted the same way.
func PionLogs(log zerolog.Logger) logging.LoggerFactory { return liblog.Pion(log) }
