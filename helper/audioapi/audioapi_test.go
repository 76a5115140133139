package audioapi

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/openbpclient/bpclient/audio"
	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
)

func TestSelectionJSON(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		bad  bool
	}{
		{`{"ringer":"all"}`, nil, false},
		{`{}`, nil, false},
		{`{"ringer":["a","b"]}`, []string{"a", "b"}, false},
		{`{"ringer":[]}`, []string{}, false},
		{`{"ringer":"some"}`, nil, true},
		{`{"ringer":3}`, nil, true},
	} {
		var s Selection
		err := json.Unmarshal([]byte(tc.in), &s)
		if (err != nil) != tc.bad {
			t.Errorf("%s: err %v", tc.in, err)
			continue
		}
		if !tc.bad && (len(s.Ringer) != len(tc.want) || (s.Ringer == nil) != (tc.want == nil)) {
			t.Errorf("%s: ringer %#v, want %#v", tc.in, s.Ringer, tc.want)
		}
	}
	b, _ := json.Marshal(Selection{Input: "x"})
	if string(b) != `{"input":"x","output":"","ringer":"all"}` {
		t.Errorf("%s", b)
	}
}

func TestSelectPersistsWithoutAudio(t *testing.T) {
	dir := t.TempDir()
	svc := New(Options{OpenErr: audio.ErrUnavailable, ConfigDir: dir})
	if caps := svc.Capabilities(); len(caps) != 0 {
		t.Errorf("capabilities %v without audio", caps)
	}
	m := svc.Methods()
	call := func(name, params string) (any, *jsonrpc.Error) {
		return m[name](context.Background(), &agent.Call{Params: json.RawMessage(params), Kind: "local"})
	}
	if _, err := call("audio.devices", `{}`); err == nil || err.Code != jsonrpc.CodeAudio {
		t.Fatalf("audio.devices without audio: %v", err)
	}
	if _, err := call("audio.select", `{"output":"ALSA:spk#0","ringer":["ALSA:r1#0","ALSA:r2#0"]}`); err != nil {
		t.Fatal(err)
	}
	if _, err := call("audio.select", `{"input":"ALSA:mic#0"}`); err != nil {
		t.Fatal(err)
	}
	if _, err := call("audio.select", `{"ringer":"loud"}`); err == nil {
		t.Fatal("accepted a bad ringer")
	}
	sel, err := LoadSelection(dir)
	if err != nil {
		t.Fatal(err)
	}
	if sel.Input != "ALSA:mic#0" || sel.Output != "ALSA:spk#0" || len(sel.Ringer) != 2 {
		t.Fatalf("saved %+v", sel)
	}
	if fi, err := os.Stat(filepath.Join(dir, SelectionFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("selection file: %v %v", fi, err)
	}
	// A new service (an agent restart) starts from the saved selection.
	if got := New(Options{ConfigDir: dir}).Selected(); got.Input != "ALSA:mic#0" {
		t.Fatalf("after restart: %+v", got)
	}
	if _, err := LoadSelection(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	st, _ := json.Marshal(svc.Status())
	t.Logf("status %s", st)
}

func TestChosenRingtone(t *testing.T) {
	dir := t.TempDir()
	svc := New(Options{OpenErr: audio.ErrUnavailable, ConfigDir: dir})
	m := svc.Methods()
	call := func(params string) *jsonrpc.Error {
		_, err := m["audio.select"](context.Background(), &agent.Call{Params: json.RawMessage(params), Kind: "local"})
		return err
	}
	wav, tone := writeRingtone(t, dir)
	notWAV := filepath.Join(dir, "notes.txt")
	os.WriteFile(notWAV, []byte("hello"), 0o600)
	for _, bad := range []string{`{"ringtone":"relative.wav"}`, `{"ringtone":"` + notWAV + `"}`, `{"ringtone":"` + filepath.Join(dir, "missing.wav") + `"}`} {
		if err := call(bad); err == nil || err.Code != jsonrpc.CodeInvalidParams {
			t.Errorf("%s: %v, want invalid params", bad, err)
		}
	}
	if err := call(`{"ringtone":"` + wav + `"}`); err != nil {
		t.Fatal(err)
	}
	clip, rate := svc.ringtone()
	if rate != 16000 || len(clip) != len(tone) || dsp.Goertzel(clip, 440, rate) < 100*dsp.Goertzel(clip, 1000, rate) {
		t.Fatalf("ringtone: %d samples at %d Hz", len(clip), rate)
	}
	if sel, _ := LoadSelection(dir); sel.Ringtone != wav {
		t.Fatalf("not persisted: %+v", sel)
	}
	// The file goes away: ringing falls back to the bundled tone.
	os.Remove(wav)
	if _, rate := svc.ringtone(); rate != 48000 {
		t.Fatalf("fallback rate %d", rate)
	}
	if err := call(`{"ringtone":""}`); err != nil {
		t.Fatal(err)
	}
	if svc.Selected().Ringtone != "" {
		t.Fatal("ringtone not reset")
	}
}

// writeRingtone writes a 440 Hz second at 16 kHz as the user's own
// ringtone and returns its path and samples.
func writeRingtone(t *testing.T, dir string) (string, []int16) {
	t.Helper()
	tone := make([]int16, 16000)
	for i := range tone {
		tone[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/16000))
	}
	wav := filepath.Join(dir, "mine.wav")
	f, err := os.Create(wav)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := dsp.WriteWAV(f, 16000, 1, tone); err != nil {
		t.Fatal(err)
	}
	return wav, tone
}
