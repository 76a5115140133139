package sip

import "github.com/openbpclient/bpclient/sip/internal/hangguard"

// WaitFor waits, up to the hang guard, until cond holds (for the
// external tests).
var WaitFor = hangguard.WaitFor
