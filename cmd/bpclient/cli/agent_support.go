package cli

import (
	"context"
	"encoding/json"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/audio"
	"github.com/openbpclient/bpclient/helper/audioapi"
	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/helper/paths"
	"github.com/openbpclient/bpclient/helper/phoneapi"
	"github.com/openbpclient/bpclient/helper/support"
	"github.com/openbpclient/bpclient/version"
)

// openSupportHistory is the agent's support history, kept beside
// BPClient.log. A file it cannot read is logged, not fatal: the history
// starts empty and replaces it.
func openSupportHistory(log zerolog.Logger) (*support.History, error) {
	file, err := support.DefaultHistoryFile()
	if err != nil {
		return nil, err
	}
	h, err := support.OpenHistory(file, nil, log)
	if err != nil {
		log.Warn().Err(err).Msg("support history not restored")
	}
	return h, nil
}

// lateProbes are the agent's doctor probes of what starts after the
// doctor is built; every field is set before the agent serves.
type lateProbes struct {
	phone    *phoneapi.Service
	audioSys *audio.System
	audioSvc *audioapi.Service
}

// network is the doctor's network probe: the server the agent's phone
// signs in to, as phone.status tells the user's own clients.
func (l *lateProbes) network(context.Context) doctor.PhoneTarget {
	phone := l.phone
	if phone == nil {
		return doctor.PhoneTarget{}
	}
	var st phoneStatus
	data, err := json.Marshal(phone.Status())
	if err != nil || json.Unmarshal(data, &st) != nil {
		return doctor.PhoneTarget{}
	}
	return st.target()
}

// agentQualityProbe is the doctor's quality check from the CLI: the
// running agent keeps the calls' summaries.
func agentQualityProbe(ctx context.Context) ([]doctor.CallQuality, error) {
	snap, err := agentHistory(ctx)
	if err != nil {
		return nil, err
	}
	return support.CallQualities(snap), nil
}

// agentPhoneTarget is the doctor's network probe from the CLI: the
// server of the running agent's phone (phone.status). No agent, no
// phone to probe.
func agentPhoneTarget(ctx context.Context) doctor.PhoneTarget {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, "")
	if err != nil {
		return doctor.PhoneTarget{}
	}
	defer c.Close()
	var st phoneStatus
	if c.Call(ctx, "helper.hello", map[string]string{"client": "bpclient-cli", "clientVersion": version.Version}, nil) != nil ||
		c.Call(ctx, "phone.status", nil, &st) != nil {
		return doctor.PhoneTarget{}
	}
	return st.target()
}

// phoneStatus is what the network probe reads of phone.status.
type phoneStatus struct {
	Configured bool   `json:"configured"`
	Server     string `json:"server"`
	Transport  string `json:"transport"`
}

func (st phoneStatus) target() doctor.PhoneTarget {
	return doctor.PhoneTarget{Configured: st.Configured, Server: st.Server, Transport: st.Transport}
}

// audio is the doctor's audio probe: the agent's sound system and the
// devices the user chose.
func (l *lateProbes) audio(context.Context) doctor.AudioState {
	var sel audioapi.Selection
	if l.audioSvc != nil {
		sel = l.audioSvc.Selected()
	}
	return doctor.AudioStateOf(l.audioSys, nil, sel.Input, sel.Output)
}

// hostLog is BPClient.log for the doctor's host version check ("": none).
func hostLog() string {
	p, err := paths.LogFile()
	if err != nil {
		return ""
	}
	return p
}
