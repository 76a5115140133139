package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/openbpclient/bpclient/audio"
)

// AudioState is what the audio checks read: the sound system the agent
// opened, its devices, and the devices the user chose.
type AudioState struct {
	// Unavailable says why the sound system could not be opened ("":
	// it was).
	Unavailable string
	Backend     audio.BackendInfo
	Devices     audio.DeviceList
	// DevicesErr says why the devices could not be listed.
	DevicesErr string
	// SelectedInput and SelectedOutput are the chosen device ids; ""
	// follows the system's default.
	SelectedInput, SelectedOutput string
}

// AudioProbe reports the agent's sound system.
type AudioProbe func(ctx context.Context) AudioState

// AudioStateOf reads sys (nil: not opened, for the reason openErr) and
// the selection.
func AudioStateOf(sys *audio.System, openErr error, input, output string) AudioState {
	st := AudioState{SelectedInput: input, SelectedOutput: output}
	if sys == nil {
		st.Unavailable = "the sound system is not available"
		if openErr != nil {
			st.Unavailable += ": " + openErr.Error()
		}
		return st
	}
	st.Backend = sys.Backend()
	list, err := sys.Devices()
	if err != nil {
		st.DevicesErr = err.Error()
	}
	st.Devices = list
	return st
}

// AudioChecks say whether the computer has a microphone and a speaker
// with a default for each, and whether the devices the user chose are
// still there. Whether a device is muted or at zero volume is not
// checked: the audio backends do not report it.
func AudioChecks(probe AudioProbe) Check {
	return func(ctx context.Context, _ View) []Result {
		st := probe(ctx)
		return []Result{audioDevicesCheck(st), audioSelectionCheck(st)}
	}
}

const audioFixRestart = "Restart the computer; if this stays, ask IT to check its sound settings."

func audioDevicesCheck(st AudioState) Result {
	res := Result{ID: "audio.devices", Title: "The computer has a microphone and a speaker", Status: OK}
	switch {
	case st.Unavailable != "":
		res.Status, res.Found, res.Fix = Failed, st.Unavailable, audioFixRestart
		return res
	case st.DevicesErr != "":
		res.Status, res.Found, res.Fix = Warning, "the sound devices cannot be listed: "+st.DevicesErr, audioFixRestart
		return res
	}
	inputs := st.Devices.Inputs
	var missing, noDefault []string
	if len(inputs) == 0 {
		missing = append(missing, "no microphone")
	} else if !hasDefault(inputs) {
		noDefault = append(noDefault, "microphone")
	}
	if len(st.Devices.Outputs) == 0 {
		missing = append(missing, "no speaker or headset")
	} else if !hasDefault(st.Devices.Outputs) {
		noDefault = append(noDefault, "speaker")
	}
	on := backendText(st.Backend)
	switch {
	case len(missing) > 0:
		res.Status = Failed
		res.Found = strings.Join(missing, " and ") + " is connected" + on
		res.Fix = "Plug in your headset; if it is plugged in, unplug it and plug it in again."
	case len(noDefault) > 0:
		res.Status = Warning
		res.Found = "the computer has no default " + strings.Join(noDefault, " or ") + on
		res.Fix = "Choose your headset in the computer's sound settings, or in the Agent Desktop."
	default:
		res.Found = fmt.Sprintf("%d microphones and %d speakers%s", len(inputs), len(st.Devices.Outputs), on)
	}
	return res
}

func audioSelectionCheck(st AudioState) Result {
	res := Result{ID: "audio.selected", Title: "The chosen headset is connected", Status: OK}
	if st.SelectedInput == "" && st.SelectedOutput == "" {
		res.Found = "the computer's default devices are used"
		return res
	}
	if st.Unavailable != "" || st.DevicesErr != "" {
		res.Status, res.Found = Warning, "the chosen devices cannot be looked for: the sound devices cannot be listed"
		res.Fix = audioFixRestart
		return res
	}
	var gone []string
	if id := st.SelectedInput; id != "" {
		if _, ok := st.Devices.Find(id, true); !ok {
			gone = append(gone, "the microphone "+deviceName(id))
		}
	}
	if id := st.SelectedOutput; id != "" {
		if _, ok := st.Devices.Find(id, false); !ok {
			gone = append(gone, "the speaker "+deviceName(id))
		}
	}
	if len(gone) == 0 {
		res.Found = "the chosen devices are connected"
		return res
	}
	res.Status = Failed
	res.Found = strings.Join(gone, " and ") + " you chose is not connected"
	res.Fix = "Plug that headset in again, or choose another device in the Agent Desktop."
	return res
}

func hasDefault(list []audio.Device) bool {
	for _, d := range list {
		if d.Default {
			return true
		}
	}
	return false
}

func backendText(b audio.BackendInfo) string {
	if b.Server != "" {
		return " (" + b.Server + ")"
	}
	return ""
}

// deviceName is the name part of a device id "<host API>:<name>#<n>".
func deviceName(id string) string {
	_, name, ok := strings.Cut(id, ":")
	if !ok {
		name = id
	}
	if i := strings.LastIndexByte(name, '#'); i >= 0 {
		name = name[:i]
	}
	return "\u201c" + name + "\u201d"
}
