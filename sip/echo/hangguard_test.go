package echo_test

import "time"

// hangGuard bounds the tests' waits for an event: it only catches a hang,
// so it is generous enough for a loaded machine and costs nothing unless
// something hangs (as sip's HangGuard, which is sip's tests' own).
const hangGuard = 30 * time.Second
