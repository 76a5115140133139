package doctor

import (
	"context"
	"strings"
)

// consentKey is where Windows keeps its microphone privacy setting
// (Settings > Privacy & security > Microphone): Value is "Allow" or
// "Deny". Under HKLM it is the whole device's switch ("Microphone
// access"), under HKCU the user's ("Let apps access your microphone"),
// and its NonPackaged subkey the one for desktop apps such as BPClient
// ("Let desktop apps access your microphone").
const consentKey = `Software\Microsoft\Windows\CurrentVersion\CapabilityAccessManager\ConsentStore\microphone`

// MicrophonePermissionCheck says whether the computer lets BPClient use
// the microphone: on Windows from the privacy setting in the registry;
// macOS does not let the helper read its permission, so the check says
// how to look; Linux has no per-app microphone permission.
func MicrophonePermissionCheck(roots Roots) Check {
	return func(context.Context, View) []Result {
		res := Result{ID: "audio.permission", Title: "The computer lets BPClient use the microphone", Status: OK}
		switch roots.GOOS {
		case "windows":
			windowsMicPermission(roots.Registry, &res)
		case "darwin":
			res.Found = "macOS does not let the helper read its microphone permission: if callers cannot hear you, " +
				"open System Settings > Privacy & Security > Microphone and turn BPClient on"
		default:
			res.Found = "not checked: " + roots.GOOS + " has no per-app microphone permission"
		}
		return []Result{res}
	}
}

// micSwitch is one of the privacy setting's three switches.
type micSwitch struct {
	hive, key, what, fix string
}

var micSwitches = []micSwitch{
	{"HKLM", consentKey, "the computer's microphone access is off",
		"Ask IT to turn on Microphone access in Windows' privacy settings (Privacy & security > Microphone)."},
	{"HKCU", consentKey, "Windows does not let apps use the microphone",
		"Open Settings > Privacy & security > Microphone and turn on Let apps access your microphone."},
	{"HKCU", consentKey + `\NonPackaged`, "Windows does not let desktop apps such as BPClient use the microphone",
		"Open Settings > Privacy & security > Microphone and turn on Let desktop apps access your microphone."},
}

func windowsMicPermission(reg RegistryReader, res *Result) {
	if reg == nil {
		res.Status, res.Found = Warning, "the microphone permission cannot be read: "+errNoRegistry.Error()
		res.Fix = micSwitches[1].fix
		return
	}
	for _, s := range micSwitches {
		v, ok, err := reg.String(s.hive, s.key, "Value")
		if err != nil {
			res.Status, res.Found, res.Fix = Warning, "the microphone permission cannot be read: "+err.Error(), s.fix
			res.Where = s.hive + `\` + s.key
			return
		}
		// Absent is Windows' default: allowed.
		if ok && strings.EqualFold(strings.TrimSpace(v), "Deny") {
			res.Status, res.Found, res.Fix = Failed, s.what, s.fix
			res.Where = s.hive + `\` + s.key
			return
		}
	}
	res.Found = "Windows lets BPClient use the microphone"
}
