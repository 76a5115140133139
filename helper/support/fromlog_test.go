package support

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestHistoryFromLog: with no agent to ask, the registration changes,
// the calls' states and their quality come from the log lines the phone
// and the agent wrote, oldest file first, none from before since.
func TestHistoryFromLog(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o600)
		return p
	}
	older := write("BPClient-2026-12-03T10-00-00.000.log",
		`{"level":"info","svc":"phone","state":"registered","reason":"","server":"127.0.0.1:5061","time":"2026-12-03T09:00:00.000Z","message":"registration"}`+"\n"+
			`{"level":"info","svc":"phone","state":"failed","reason":"too old","server":"x","time":"2026-12-01T09:00:00.000Z","message":"registration"}`+"\n")
	current := write("BPClient.log",
		`{"level":"info","svc":"phone","call":"c1","state":"dialing","direction":"outbound","time":"2026-12-03T10:00:01.000Z","message":"call state"}`+"\n"+
			`{"level":"info","svc":"phone","call":"c1","codec":"PCMU","mos":4.4,"lossPct":0,"jitterMs":1.5,"rttMs":3,"time":"2026-12-03T10:00:04.000Z","message":"quality"}`+"\n"+
			`{"level":"info","svc":"phone","call":"c1","codec":"PCMU","mos":3.1,"lossPct":6,"jitterMs":2,"rttMs":3,"warnings":["loss"],"time":"2026-12-03T10:00:08.000Z","message":"quality"}`+"\n"+
			`{"level":"info","svc":"phone","call":"c1","state":"ended","reason":"local hangup","time":"2026-12-03T10:00:09.000Z","message":"call state"}`+"\n"+
			`{"level":"warn","svc":"phone","state":"lost","reason":"the SIP phone lost its connection to the system: no answer","server":"127.0.0.1:5061","time":"2026-12-03T10:05:00.000Z","message":"registration"}`+"\n")
	s := HistoryFromLog([]string{current, older}, time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC))
	if len(s.Registration) != 2 || s.Registration[0].State != "registered" || s.Registration[1].State != "lost" {
		t.Errorf("registration %+v", s.Registration)
	}
	if len(s.Calls) != 1 || s.Calls[0].Ended == nil || s.Calls[0].Ended.Sub(s.Calls[0].Started) != 8*time.Second || s.Calls[0].EndReason != "local hangup" {
		t.Errorf("calls %+v", s.Calls)
	}
	if c := s.Calls[0]; len(c.Samples) != 2 || c.Samples[1].LossPct != 6 || len(c.Samples[1].Warnings) != 1 || c.Summary == nil || c.Summary.MinMOS != 3.1 {
		t.Errorf("the call's quality from the log: samples %+v, summary %+v", c.Samples, c.Summary)
	}
}
