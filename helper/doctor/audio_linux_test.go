package doctor_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/audio"
	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/internal/soundtest"
)

// TestAudioChecksPulseAudio: against a private PulseAudio, the checks
// find the devices and the chosen headset; the headset unplugged
// (its sink unloaded), the selection check fails naming it; every
// device gone, the devices check fails.
func TestAudioChecksPulseAudio(t *testing.T) {
	srv := soundtest.Start(t, soundtest.PulseAudio)
	sys, err := audio.Open(audio.WithBackend(audio.BackendPulse))
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	const mic, headset = "PulseAudio:mic.monitor#0", "PulseAudio:headset#0"
	d := doctor.New(nil, doctor.AudioChecks(func(context.Context) doctor.AudioState {
		return doctor.AudioStateOf(sys, nil, mic, headset)
	}))
	run := func() (devices, selected doctor.Result) {
		rep := d.Run(context.Background(), doctor.View{Local: true})
		devices, _ = rep.Find("audio.devices")
		selected, _ = rep.Find("audio.selected")
		return devices, selected
	}
	devices, selected := run()
	if devices.Status != doctor.OK || !strings.Contains(devices.Found, "speakers") {
		t.Errorf("devices with the sound server up: %+v", devices)
	}
	if selected.Status != doctor.OK {
		t.Errorf("selection with the headset plugged: %+v", selected)
	}

	srv.UnloadSink(t, "headset")
	selected = waitAudio(t, run, func(_, s doctor.Result) bool { return s.Status != doctor.OK }).selected
	if selected.Status != doctor.Failed || !strings.Contains(selected.Found, "the speaker \u201cheadset\u201d you chose is not connected") || selected.Fix == "" {
		t.Errorf("selection with the headset unplugged: %+v", selected)
	}

	for _, sink := range []string{"spk", "mic", "ring1", "ring2"} {
		srv.UnloadSink(t, sink)
	}
	devices = waitAudio(t, run, func(d, _ doctor.Result) bool { return d.Status != doctor.OK }).devices
	if devices.Status != doctor.Failed || !strings.Contains(devices.Found, "no speaker or headset") || devices.Fix == "" {
		t.Errorf("devices with every sink gone: %+v", devices)
	}
}

type audioResults struct{ devices, selected doctor.Result }

// waitAudio runs the checks until done says so (the device list follows
// the server's events) or 5 s have passed.
func waitAudio(t *testing.T, run func() (doctor.Result, doctor.Result), done func(d, s doctor.Result) bool) audioResults {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		d, s := run()
		if done(d, s) || time.Now().After(deadline) {
			return audioResults{d, s}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAudioChecksNoSoundSystem: the agent could not open the sound
// system: the devices check fails with why, the selection check warns.
func TestAudioChecksNoSoundSystem(t *testing.T) {
	d := doctor.New(nil, doctor.AudioChecks(func(context.Context) doctor.AudioState {
		return doctor.AudioStateOf(nil, errors.New("no sound server answers"), "", "PulseAudio:headset#0")
	}))
	rep := d.Run(context.Background(), doctor.View{})
	if r, _ := rep.Find("audio.devices"); r.Status != doctor.Failed || !strings.Contains(r.Found, "no sound server answers") {
		t.Errorf("devices: %+v", r)
	}
	if r, _ := rep.Find("audio.selected"); r.Status != doctor.Warning {
		t.Errorf("selection: %+v", r)
	}
}
