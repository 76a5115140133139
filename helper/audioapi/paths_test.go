package audioapi

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/audio"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
)

// A page cannot choose a ringtone file: a valid WAV, a missing file and a
// UNC path all get the same -32602 forbidden-path, the selection keeps the
// bundled ringtone, and "" (the bundled one) is still a page's to pick.
func TestPageCannotChooseRingtoneFile(t *testing.T) {
	dir := t.TempDir()
	svc := New(Options{OpenErr: audio.ErrUnavailable, ConfigDir: dir})
	selectAs := func(kind, ringtone string) *jsonrpc.Error {
		params, _ := json.Marshal(map[string]string{"ringtone": ringtone})
		_, err := svc.Methods()["audio.select"](context.Background(), &agent.Call{Params: params, Kind: kind, PageOrigin: "https://agent.example.test"})
		return err
	}
	wav, _ := writeRingtone(t, dir)
	var first string
	for _, p := range []string{wav, filepath.Join(dir, "missing.wav"), "/etc/passwd", `\\server\share\ring.wav`} {
		jerr := selectAs("page", p)
		if jerr == nil {
			t.Fatalf("ringtone %q from a page accepted", p)
		}
		data, _ := json.Marshal(jerr.Data)
		if jerr.Code != jsonrpc.CodeInvalidParams || string(data) != `{"reason":"forbidden-path"}` || strings.Contains(jerr.Message, p) {
			t.Errorf("ringtone %q: %d %q %s, want -32602 forbidden-path without the path", p, jerr.Code, jerr.Message, data)
		}
		if first == "" {
			first = jerr.Message
		} else if jerr.Message != first {
			t.Errorf("ringtone %q: %q differs from %q", p, jerr.Message, first)
		}
	}
	if sel, _ := LoadSelection(dir); sel.Ringtone != "" || svc.Selected().Ringtone != "" {
		t.Fatalf("a page's ringtone was kept: %+v", sel)
	}
	if err := selectAs("page", ""); err != nil {
		t.Errorf("a page going back to the bundled ringtone: %v", err)
	}
	if err := selectAs("local", wav); err != nil {
		t.Errorf("the CLI choosing a ringtone: %v", err)
	}
}
