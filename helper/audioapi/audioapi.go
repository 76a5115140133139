// Package audioapi is the agent's audio service: audio.devices,
// audio.select and audio.test, the audio.devicesChanged, audio.deviceMoved
// and audio.level events, the user's device selection (kept in the user's
// config dir), and the ringer the phone uses.
package audioapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/audio"
	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/pathguard"
)

// SelectionFile is the name of the selection file in the config dir.
const SelectionFile = "audio.json"

// Selection is the user's choice of devices; "" means the system default.
type Selection struct {
	Input  string `json:"input"`
	Output string `json:"output"`
	// Ringer is nil for "all outputs", else the ids to ring on.
	Ringer []string `json:"-"`
	// Ringtone is a WAV file the user chose; "" is the bundled ringtone.
	Ringtone string `json:"-"`
	// Backend is the audio backend support staff chose by editing the
	// file ("pulse", "portaudio"; "" chooses): audio.WithBackend. No
	// method sets it, and BPCLIENT_AUDIO_BACKEND overrides it.
	Backend string `json:"-"`
}

type selectionJSON struct {
	Input    string          `json:"input"`
	Output   string          `json:"output"`
	Ringer   json.RawMessage `json:"ringer,omitempty"`
	Ringtone string          `json:"ringtone,omitempty"`
	Backend  string          `json:"backend,omitempty"`
}

// MarshalJSON writes ringer as "all" or a list of ids.
func (s Selection) MarshalJSON() ([]byte, error) {
	r := json.RawMessage(`"all"`)
	if s.Ringer != nil {
		b, err := json.Marshal(s.Ringer)
		if err != nil {
			return nil, err
		}
		r = b
	}
	return json.Marshal(selectionJSON{s.Input, s.Output, r, s.Ringtone, s.Backend})
}

// UnmarshalJSON reads ringer as "all" or a list of ids.
func (s *Selection) UnmarshalJSON(b []byte) error {
	var j selectionJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	s.Input, s.Output, s.Ringer, s.Ringtone, s.Backend = j.Input, j.Output, nil, j.Ringtone, j.Backend
	ringer, err := parseRinger(j.Ringer)
	if err != nil {
		return err
	}
	s.Ringer = ringer
	return nil
}

func parseRinger(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var all string
	if json.Unmarshal(raw, &all) == nil {
		if all != "all" {
			return nil, fmt.Errorf(`ringer: want "all" or a list of device ids, got %q`, all)
		}
		return nil, nil
	}
	var ids []string
	if err := json.Unmarshal(raw, &ids); err != nil {
		return nil, errors.New(`ringer: want "all" or a list of device ids`)
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}

// Options configure the service.
type Options struct {
	// System is the process's audio; nil when audio is unavailable, with
	// the reason in OpenErr.
	System  *audio.System
	OpenErr error
	// ConfigDir holds the selection (helper/paths.ConfigDir).
	ConfigDir string
	Events    agent.Broadcaster
	// Enumerate lists the devices freshly (audio.ChildEnumerator running
	// `bpclient devices --json`) for a backend without device events
	// (PortAudio); nil disables hot-plug watching there. A backend with
	// events (System.HasDeviceEvents) is watched through them instead.
	Enumerate func(ctx context.Context) (audio.DeviceList, error)
	// WatchInterval is the polling period (default: audio.Watcher's).
	WatchInterval time.Duration
	// WatchProbe lets the watcher skip enumerations while nothing changed
	// (audio.NewDeviceProbe); nil enumerates at every poll.
	WatchProbe func() (sig []byte, ok bool)
	Logger     zerolog.Logger
	// MayChange says whether a caller may change the devices or sound a
	// test: while a site's phone is configured, only that site's pages
	// and the user's own clients may (phoneapi.Service.Controls); nil:
	// everyone. Listing the devices stays open to every session.
	MayChange func(*agent.Call) bool
}

// Service implements agent.Service for audio.
type Service struct {
	o      Options
	ringer *audio.Ringer

	mu      sync.Mutex
	list    audio.DeviceList
	haveLst bool
	gotList chan struct{} // closed when haveLst becomes true
	sel     Selection
	testing bool
	moves   uint64

	// tests hands each audio.test to Run, which runs it under its own
	// context and waits for it before returning; stopped is closed when
	// Run has returned, so that a later test is refused instead of
	// running unowned.
	tests   chan func(ctx context.Context)
	stopped chan struct{}
}

// New loads the saved selection and returns the service. Run starts its
// watcher.
func New(o Options) *Service {
	s := &Service{o: o, gotList: make(chan struct{}), tests: make(chan func(context.Context)), stopped: make(chan struct{})}
	if o.System != nil {
		s.ringer = audio.NewRinger(o.System)
		// With a watcher its first list arrives at once; asking the
		// system here would start a lazily opened backend for nothing.
		if o.Enumerate == nil {
			if l, err := o.System.Devices(); err == nil {
				s.list, s.haveLst = l, true
				close(s.gotList)
			}
		}
	}
	if sel, err := LoadSelection(o.ConfigDir); err == nil {
		s.sel = sel
	} else if !errors.Is(err, os.ErrNotExist) {
		o.Logger.Warn().Err(err).Msg("audio selection unreadable; using the defaults")
	}
	return s
}

// LoadSelection reads the saved selection from dir.
func LoadSelection(dir string) (Selection, error) {
	b, err := os.ReadFile(filepath.Join(dir, SelectionFile))
	if err != nil {
		return Selection{}, err
	}
	var sel Selection
	if err := json.Unmarshal(b, &sel); err != nil {
		return Selection{}, fmt.Errorf("audio selection: %w", err)
	}
	return sel, nil
}

func saveSelection(dir string, sel Selection) error {
	if dir == "" {
		return errors.New("audio selection: no config dir")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(sel, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, SelectionFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, SelectionFile))
}

// Run watches for device changes and runs the audio tests until ctx
// ends, then stops the ringer and any test and returns. It is called
// once; audio.test waits for it to start and is refused after it ended.
func (s *Service) Run(ctx context.Context) error {
	defer close(s.stopped)
	var tests sync.WaitGroup
	defer tests.Wait()
	if s.ringer != nil {
		defer s.ringer.Stop()
	}
	watched := make(chan error, 1)
	go func() { watched <- s.watch(ctx) }()
	for {
		select {
		case test := <-s.tests:
			tests.Add(1)
			go func() {
				defer tests.Done()
				test(ctx)
			}()
		case err := <-watched:
			return err
		}
	}
}

// watch follows the device list until ctx ends: through the backend's
// own events when it has them (the PulseAudio one: no child process, no
// polling), else through a Watcher running Enumerate.
func (s *Service) watch(ctx context.Context) error {
	if s.o.System == nil {
		<-ctx.Done()
		return nil
	}
	if s.o.System.HasDeviceEvents() {
		first := true
		err := s.o.System.WatchDevices(ctx, func(l audio.DeviceList) {
			s.listChanged(l, first, false)
			first = false
		})
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	}
	if s.o.Enumerate == nil {
		<-ctx.Done()
		return nil
	}
	first := true
	w := &audio.Watcher{
		Enumerate: s.o.Enumerate,
		Interval:  s.o.WatchInterval,
		Probe:     s.o.WatchProbe,
		OnChange: func(l audio.DeviceList) {
			// The system moves its streams off devices that left.
			s.o.System.DevicesChanged(l)
			s.listChanged(l, first, true)
			first = false
		},
		OnError: func(err error) { s.o.Logger.Warn().Err(err).Msg("audio device enumeration") },
	}
	err := w.Run(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// listChanged keeps a new device list and, after the first, tells the
// clients (audio.devicesChanged). reload lets a backend that lists only
// when it starts (PortAudio) see the new devices.
func (s *Service) listChanged(l audio.DeviceList, first, reload bool) {
	s.mu.Lock()
	if !s.haveLst {
		close(s.gotList)
	}
	s.list, s.haveLst = l, true
	s.mu.Unlock()
	if first {
		return
	}
	// Let this process's PortAudio see the new devices when no stream is
	// open (it refuses otherwise, so no call is touched).
	if reload {
		if err := s.o.System.Reload(); err != nil && !errors.Is(err, audio.ErrBusy) {
			s.o.Logger.Warn().Err(err).Msg("audio re-enumeration")
		}
	}
	s.o.Logger.Info().Int("inputs", len(l.Inputs)).Int("outputs", len(l.Outputs)).Msg("audio devices changed")
	s.broadcast("audio.devicesChanged", l)
}

func (s *Service) broadcast(event string, params any) {
	if s.o.Events != nil {
		s.o.Events.Broadcast(event, params)
	}
}

// OnMove is the StreamOptions.OnMove for streams the agent opens (the
// phone's too): it logs the move and emits audio.deviceMoved.
func (s *Service) OnMove(m audio.Move) {
	s.mu.Lock()
	s.moves++
	s.mu.Unlock()
	s.o.Logger.Warn().Str("stream", m.Stream).Str("from", m.From).Str("to", m.To).Str("reason", m.Reason).Msg("audio stream moved")
	s.broadcast("audio.deviceMoved", m)
}

// Selected returns the current selection.
func (s *Service) Selected() Selection {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sel
}

// RingerDevices resolves the ringer selection to output ids: every
// output for "all", else the selected ones that exist.
func (s *Service) RingerDevices() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, d := range s.list.Outputs {
		if s.sel.Ringer == nil || slices.Contains(s.sel.Ringer, d.ID) {
			ids = append(ids, d.ID)
		}
	}
	return ids
}

// Ring starts ringing on every ringer device: clip at rate, or the
// bundled ringtone when clip is nil. StopRing stops it.
func (s *Service) Ring(clip []int16, rate int, loop bool) ([]string, error) {
	if s.ringer == nil {
		return nil, s.unavailable()
	}
	if clip == nil {
		clip, rate = s.ringtone()
	}
	return s.ringer.Start(s.RingerDevices(), clip, rate, loop)
}

// ringtone is the user's chosen WAV, or the bundled ringtone when none is
// chosen or the file can no longer be read (a ring must never fail for it).
func (s *Service) ringtone() ([]int16, int) {
	s.mu.Lock()
	path := s.sel.Ringtone
	s.mu.Unlock()
	if path != "" {
		w, err := loadRingtone(path)
		if err == nil {
			return w.Mono(), w.Rate
		}
		s.o.Logger.Warn().Err(err).Msg("chosen ringtone unusable; ringing with the bundled one")
	}
	return dsp.Ringtone(48000), 48000
}

// loadRingtone reads and checks a WAV the user chose as ringtone.
func loadRingtone(path string) (*dsp.WAV, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ringtone: %w", err)
	}
	defer f.Close()
	w, err := dsp.ReadWAV(f)
	if err != nil {
		return nil, fmt.Errorf("ringtone %s: %w", filepath.Base(path), err)
	}
	if len(w.Samples) == 0 || w.Rate < 8000 || w.Rate > 192000 {
		return nil, fmt.Errorf("ringtone %s: empty, or a sample rate of %d Hz", filepath.Base(path), w.Rate)
	}
	return w, nil
}

// Alert plays the bundled notification chime once on every ringer
// device (a short alert, while call audio stays on the headset).
func (s *Service) Alert() ([]string, error) {
	return s.Ring(dsp.Alert(48000), 48000, false)
}

// StopRing silences the ringer devices.
func (s *Service) StopRing() {
	if s.ringer != nil {
		s.ringer.Stop()
	}
}

func (s *Service) unavailable() error {
	if s.o.OpenErr != nil {
		return s.o.OpenErr
	}
	return audio.ErrUnavailable
}

// Name implements agent.Service.
func (s *Service) Name() string { return "audio" }

// Capabilities implements agent.Service.
func (s *Service) Capabilities() []string {
	if s.o.System == nil {
		return nil
	}
	return []string{"audio"}
}

type status struct {
	Available bool      `json:"available"`
	Error     string    `json:"error,omitempty"`
	Selection Selection `json:"selection"`
	Inputs    int       `json:"inputs"`
	Outputs   int       `json:"outputs"`
	Moves     uint64    `json:"moves"`
}

// Status implements agent.Service.
func (s *Service) Status() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := status{Available: s.o.System != nil, Selection: s.sel, Inputs: len(s.list.Inputs), Outputs: len(s.list.Outputs), Moves: s.moves}
	if s.o.System == nil {
		st.Error = s.unavailable().Error()
	}
	return st
}

// Methods implements agent.Service.
func (s *Service) Methods() map[string]agent.Method {
	return map[string]agent.Method{
		"audio.devices": s.devices,
		"audio.select":  s.mayChange(s.selectDevices),
		"audio.test":    s.mayChange(s.test),
	}
}

func (s *Service) mayChange(m agent.Method) agent.Method {
	return func(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
		if s.o.MayChange != nil && !s.o.MayChange(c) {
			return nil, jsonrpc.Errorf(jsonrpc.CodeAudio, "the sound devices belong to the site whose phone is configured").
				WithData(map[string]string{"reason": jsonrpc.ReasonOtherOrigin})
		}
		return m(ctx, c)
	}
}

func (s *Service) rpcUnavailable() *jsonrpc.Error {
	return jsonrpc.Errorf(jsonrpc.CodeAudio, "%v", s.unavailable()).WithData(map[string]string{"reason": jsonrpc.ReasonUnavailable})
}

func (s *Service) devices(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	if s.o.System == nil {
		return nil, s.rpcUnavailable()
	}
	// Right after the agent starts, the watcher's first list may still
	// be on its way (an enumeration takes about 50 ms).
	if s.o.Enumerate != nil {
		t := time.NewTimer(5 * time.Second)
		select {
		case <-s.gotList:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.haveLst {
		return nil, jsonrpc.Errorf(jsonrpc.CodeInternal, "no device list yet")
	}
	return s.list, nil
}

func (s *Service) selectDevices(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	var p struct {
		Input  *string         `json:"input"`
		Output *string         `json:"output"`
		Ringer json.RawMessage `json:"ringer"`
		// Ringtone is a WAV file's path; "" goes back to the bundled one.
		Ringtone *string `json:"ringtone"`
	}
	if err := c.Decode(&p); err != nil {
		return nil, err
	}
	s.mu.Lock()
	sel := s.sel
	list, have := s.list, s.haveLst
	s.mu.Unlock()
	check := func(id string, input bool) *jsonrpc.Error {
		if id == "" || !have {
			return nil
		}
		if _, ok := list.Find(id, input); !ok {
			return jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "no %s device %q", map[bool]string{true: "input", false: "output"}[input], id)
		}
		return nil
	}
	if p.Input != nil {
		if err := check(*p.Input, true); err != nil {
			return nil, err
		}
		sel.Input = *p.Input
	}
	if p.Output != nil {
		if err := check(*p.Output, false); err != nil {
			return nil, err
		}
		sel.Output = *p.Output
	}
	if len(p.Ringer) > 0 {
		r, err := parseRinger(p.Ringer)
		if err != nil {
			return nil, jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "%v", err)
		}
		for _, id := range r {
			if err := check(id, false); err != nil {
				return nil, err
			}
		}
		sel.Ringer = r
	}
	if p.Ringtone != nil {
		if *p.Ringtone != "" {
			// Refused before anything opens it; pages may only go back to
			// the bundled ringtone ("").
			if err := pathguard.Param(c.Local(), "ringtone", *p.Ringtone); err != nil {
				return nil, err
			}
			if _, err := loadRingtone(*p.Ringtone); err != nil {
				return nil, jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "%v", err)
			}
		}
		sel.Ringtone = *p.Ringtone
	}
	if err := saveSelection(s.o.ConfigDir, sel); err != nil {
		return nil, jsonrpc.Errorf(jsonrpc.CodeInternal, "save selection: %v", err)
	}
	s.mu.Lock()
	s.sel = sel
	s.mu.Unlock()
	return sel, nil
}

func (s *Service) test(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	if s.o.System == nil {
		return nil, s.rpcUnavailable()
	}
	var p struct {
		Input   *string `json:"input"`
		Output  *string `json:"output"`
		Seconds float64 `json:"seconds"`
	}
	if err := c.Decode(&p); err != nil {
		return nil, err
	}
	if p.Seconds == 0 {
		p.Seconds = 5
	}
	if p.Seconds < 0 || p.Seconds > 60 {
		return nil, jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "seconds: 0 < seconds <= 60")
	}
	sel := s.Selected()
	o := audio.TestOptions{Input: sel.Input, Output: sel.Output, Duration: time.Duration(p.Seconds * float64(time.Second))}
	if p.Input != nil {
		o.Input = *p.Input
	}
	if p.Output != nil {
		o.Output = *p.Output
	}
	s.mu.Lock()
	if s.testing {
		s.mu.Unlock()
		return nil, jsonrpc.Errorf(jsonrpc.CodeAudio, "a test is already running").WithData(map[string]string{"reason": jsonrpc.ReasonBusy})
	}
	s.testing = true
	s.mu.Unlock()
	o.OnLevel = func(l dsp.Level) { s.broadcast("audio.level", l) }
	// The test runs in the service (owned by Run's context), not in the
	// session: its events reach the settings page and every other client.
	test := func(runCtx context.Context) {
		res, err := audio.SelfTest(runCtx, s.o.System, o)
		s.mu.Lock()
		s.testing = false
		s.mu.Unlock()
		done := map[string]any{"result": res}
		if err != nil {
			done = map[string]any{"error": err.Error()}
		}
		s.broadcast("audio.testDone", done)
	}
	select {
	case s.tests <- test:
		return map[string]any{"started": true, "seconds": p.Seconds}, nil
	case <-s.stopped:
		s.endTest()
		return nil, jsonrpc.Errorf(jsonrpc.CodeInternal, "the audio service has stopped")
	case <-ctx.Done():
		s.endTest()
		return nil, jsonrpc.Errorf(jsonrpc.CodeInternal, "audio.test: %v", ctx.Err())
	}
}

// endTest clears the running test's mark for one that never started.
func (s *Service) endTest() {
	s.mu.Lock()
	s.testing = false
	s.mu.Unlock()
}
