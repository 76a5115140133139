package sip

import "github.com/openbpclient/bpclient/sip/internal/hangguard"

// HangGuard bounds the tests' waits for an event (this package's and
// sip_test's); see hangguard.
const HangGuard = hangguard.Timeout
