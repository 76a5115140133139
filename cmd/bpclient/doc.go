// Command bpclient is the BPClient command line and the per-user agent.
//
// # What it links
//
// Everything of the agent: cmd/bpclient/cli (flags, subcommands, wiring
// and printing), helper/agent with its services (helper/phoneapi,
// helper/audioapi) and the rest of helper/ (ipc, client, policy, paths,
// pathguard, launch, logging, safedll), sip/ and its subpackages (the
// softphone, the RTP engine, SRTP keying, the demo's echo service),
// audio/ and its subpackages (devices, codecs, dsp), installer and
// nativemsg (the host manifests it installs), and version. With cgo it
// links PortAudio, and libopus with the opus build tag (G.729 is pure Go;
// the g729 tag adds bcg729 to tests only); without cgo it builds, and
// says that audio is unavailable.
//
// DESIGN.md draws the imports as cmd → helper → sip → audio. helper and
// cmd also import audio directly, and that is right: the agent's audio
// service (helper/audioapi: devices, selection, ringer, audio.test), the
// phone service's sound devices for a call (helper/phoneapi) and the
// CLI's `bpclient audio test`, `bpclient devices` and the agent's opening
// of the sound system (cmd/bpclient/cli) use the devices themselves, not
// through sip. What the chain forbids is the other way: audio imports
// nothing of sip or helper, and sip nothing of helper.
package main
