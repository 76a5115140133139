// Command bpclient-host is the native-messaging host the browser starts for
// each port: a thin relay to the per-user bpclient agent. Its stdout is the
// protocol; it logs to BPClient.log only.
//
// # What it links
//
// A pure-Go build (CGO_ENABLED=0) of a few of our packages: nativemsg
// (the framing), helper/hostrelay (the relay pump, and the policy check
// of a first hello when no agent runs), helper/ipc (the per-user socket
// or pipe), helper/jsonrpc, helper/policy, helper/paths, helper/launch
// (starting the agent), helper/logging, helper/safedll and version.
//
// Nothing of sip/, audio/ or helper/agent, no sipgo, PortAudio or cgo:
// the browser starts one host per port, so it must start fast and stay
// small, and a call must never live in it. TestHostLinksNoSIPOrAudio
// (main_test.go) fails when that changes.
package main
