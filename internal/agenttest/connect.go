package agenttest

import "testing"

// Connect is an Agent for one already running at addr (a `bpclient
// agent` process the test started), so that its sessions are opened and
// read as an in-process agent's are. Srv is nil.
func Connect(t testing.TB, addr string) *Agent { return &Agent{t: t, Addr: addr} }
