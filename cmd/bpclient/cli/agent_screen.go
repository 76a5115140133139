package cli

import (
	"encoding/json"
	"io"
	"path/filepath"
	"sync"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/helper/paths"
	"github.com/openbpclient/bpclient/helper/screenproxy"
)

// startScreen registers screen recording and live monitoring, which run
// in bpclient-screen beside bpclient (helper/screenproxy): the agent
// links neither libvpx nor WebRTC. The worker's log lines go into
// BPClient.log through the agent's gate. Start the proxy once every
// service is registered.
func startScreen(srv *agent.Server, log zerolog.Logger, w io.Writer, gate *logGate) (*screenproxy.Proxy, error) {
	dir, err := paths.LogDir()
	if err != nil {
		return nil, err
	}
	program, missing := screenproxy.Beside()
	if missing != nil {
		log.Info().Err(missing).Msg("no screen recording or monitoring")
	}
	p := screenproxy.New(screenproxy.Options{Program: program, Missing: missing, Events: srv, Logger: log,
		LogLine: workerLogLine(w, gate), SpoolDir: filepath.Join(dir, "screen-spool"),
		Probe: func() doctor.ScreenAvailability { return doctor.ProbeScreenCapture(nil, screenEncoder()) }})
	for _, svc := range p.Services() {
		if err := srv.Register(svc); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// screenEncoder is doctor's screen encoder check: the encoder is in
// bpclient-screen, which must be beside bpclient.
func screenEncoder() error {
	if _, err := screenproxy.Beside(); err != nil {
		return &doctor.ScreenWorkerError{Err: err}
	}
	return nil
}

// workerLogLine writes one of the screen worker's log lines (JSON, as
// the agent's own) to w unless the gate's level drops it.
func workerLogLine(w io.Writer, gate *logGate) func([]byte) {
	var mu sync.Mutex
	return func(line []byte) {
		var l struct {
			Level string `json:"level"`
		}
		if json.Unmarshal(line, &l) == nil {
			if lv, err := zerolog.ParseLevel(l.Level); err == nil && lv != zerolog.NoLevel && lv < gate.level() {
				return
			}
		}
		out := make([]byte, 0, len(line)+1)
		out = append(append(out, line...), '\n')
		mu.Lock()
		defer mu.Unlock()
		_, _ = w.Write(out)
	}
}
