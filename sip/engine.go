package sip

import (
	"net"

	"github.com/openbpclient/bpclient/sip/media"
)

// The media engine's types, under the names sip has always exported
// them by (the engine is sip/media).
type (
	// PCMSource is where a call's microphone audio comes from.
	PCMSource = media.PCMSource
	// FrameSource is a PCMSource whose frames are sent as it hands them
	// over.
	FrameSource = media.FrameSource
	// PCMSink is where a call's received audio goes.
	PCMSink = media.PCMSink
	// Audio is one call's microphone and speaker.
	Audio = media.Audio
	// QualityReport is the payload of quality.report and quality.warning.
	QualityReport = media.QualityReport
	// NetworkIssue is the payload of network.issue.
	NetworkIssue = media.NetworkIssue
	// SRTPStats are a secure call's SRTP counters.
	SRTPStats = media.SRTPStats
	// MediaStats are counters of one call's media.
	MediaStats = media.MediaStats
	// Thresholds at which quality.warning fires.
	Thresholds = media.Thresholds
)

// AudioFactory opens the audio of a call, once per call, as it is dialed
// or rings in (so that the devices run by the time it connects), at
// sampleRate: the PCM rate of the first codec the call offers or accepted.
// A call that settles on a codec of another rate converts in-process.
// The call closes the audio when it ends, however it ends.
type AudioFactory func(callID string, sampleRate int) (Audio, error)

// mediaEvents names the media engine's reports as the phone's events.
type mediaEvents struct{ emit EventFunc }

func (e mediaEvents) NetworkIssue(v NetworkIssue)    { e.emit(EventNetworkIssue, v) }
func (e mediaEvents) QualityReport(q QualityReport)  { e.emit(EventQualityReport, q) }
func (e mediaEvents) QualityWarning(q QualityReport) { e.emit(EventQualityWarning, q) }

// newMedia makes the media session of call callID on its sockets, as
// the phone is configured.
func newMedia(p *Phone, callID string, rtpConn, rtcpConn *net.UDPConn) *media.Session {
	return media.New(callID, rtpConn, rtcpConn, media.Options{
		Log: p.log, Events: mediaEvents{p.emit}, Clock: p.clock,
		Thresholds: p.cfg.Thresholds, QualityInterval: p.cfg.QualityInterval, NoMediaTimeout: p.cfg.NoMediaTimeout,
		NoLatching: p.cfg.RTPLatching == RTPLatchingOff,
	})
}
