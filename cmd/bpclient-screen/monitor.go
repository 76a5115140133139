package main

import (
	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/monitorapi"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/helper/screenproxy"
	"github.com/openbpclient/bpclient/screen/live"
	"github.com/openbpclient/bpclient/screen/record"
	"github.com/openbpclient/bpclient/screen/vp8"
	"github.com/openbpclient/bpclient/sip"
)

// startMonitor makes live screen monitoring: this agent's screen can be
// watched, and it can watch, when VP8 is in this build. The stream takes
// its frames from the capture of every monitor that recording shares
// (feeds), with an encoder of its own. ind shows that monitoring is on
// (nil: nothing does).
func startMonitor(w *screenproxy.Worker, log zerolog.Logger, store *policy.Store, ind monitorapi.Indicator, feeds *record.Feeds) *monitorapi.Service {
	opts := monitorapi.Options{Logger: log, Server: w, Policy: store, Indicator: ind}
	// pion's WebRTC (ICE, DTLS, SRTP) logs into BPClient.log at debug,
	// with sip's redaction: its lines can print SDP.
	opts.ICE.LoggerFactory = sip.PionLogs(log.With().Str("part", "screen").Logger())
	if vp8.Available() {
		opts.Source = monitorSource(feeds)
		opts.NewDecoder = live.NewVP8Decoder
	} else {
		opts.SourceUnavailable, opts.DecoderUnavailable = vp8.ErrUnavailable, vp8.ErrUnavailable
		log.Warn().Err(vp8.ErrUnavailable).Msg("no live screen monitoring")
	}
	return monitorapi.New(opts)
}

// monitorSource is live monitoring's Source over the shared capture of
// all the monitors. An offer first checks that the screen can be opened,
// unless that capture is open already (a recording uses it): no second
// connection to the screen then.
func monitorSource(feeds *record.Feeds) *live.FeedSource {
	own := live.ScreenSource("")
	feed := feeds.For("all")
	check := func() error {
		if feed.Stats().Consumers > 0 {
			return nil
		}
		return own.Check()
	}
	return &live.FeedSource{Feed: feed, NewEncoder: own.NewEncoder, OutputSize: own.OutputSize, CheckScreen: check}
}
