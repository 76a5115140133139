// Package live shows an agent's screen to a supervisor while it happens
// (issue 16, "Live monitoring"): the agent's side (Sender) sends VP8
// frames on one WebRTC video track over DTLS-SRTP, the supervisor's side
// (Viewer) receives them, puts each frame back together from its RTP
// packets and decodes it into a screen.Frame.
//
// The helper needs no server of its own: the offer, the answer and the
// ICE candidates are plain strings that the two pages carry between the
// helpers through the contact center. Candidates are host candidates only
// (loopback and LAN interfaces, UDP, no mDNS); no STUN or TURN server is
// asked unless the caller names ICE servers (an admin policy may, later).
//
// It knows nothing of browsers or of the agent's API: helper/monitorapi
// does. It encodes and captures nothing itself: a Source (the capture and
// VP8 encoder of screen/capture and screen/vp8, or the recorder's fan-out)
// gives the Sender its frames, and a Decoder (screen/vp8's) turns the
// Viewer's frames into pictures.
package live
