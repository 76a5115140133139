package sip

import "time"

// HangGuard bounds the tests' waits for an event (this package's and
// sip_test's): it only catches a hang, so it is generous enough for a
// loaded machine and costs nothing unless something hangs. Speed is
// measured with benchmarks (BENCHMARKS.md), never asserted by a wait.
const HangGuard = 30 * time.Second
