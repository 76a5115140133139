package installer

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The service definitions for every OS are plain text rendered here, in
// one OS-neutral file, so that tests on Linux check all of them.

// UnitName is the systemd user unit.
const UnitName = "bpclient.service"

// LaunchdLabel labels the macOS LaunchAgent; its plist is LaunchdLabel+".plist".
const LaunchdLabel = "org.openbpclient.bpclient.agent"

// RunValueName is the value under HKCU\...\CurrentVersion\Run on Windows.
const RunValueName = "BPClient"

// RunKey is where Windows keeps per-user programs started at login.
const RunKey = `Software\Microsoft\Windows\CurrentVersion\Run`

// Restart only after a crash (systemd "on-abnormal", launchd "Crashed"):
// an agent that exits with an error, for example because another one
// already runs for this user, must not be restarted in a loop.
const systemdUnitTemplate = `# Written by "bpclient install"; "bpclient uninstall" removes it.
[Unit]
Description=BPClient agent desktop helper
ConditionFileIsExecutable=@PATH@

[Service]
Type=simple
ExecStart=@EXEC@ agent
Restart=on-abnormal
RestartSec=2

[Install]
WantedBy=default.target
`

// systemdUnit renders the user unit that runs "<agentPath> agent".
func systemdUnit(agentPath string) (string, error) {
	if err := plainPath(agentPath); err != nil {
		return "", err
	}
	// systemd refuses these in an executable's name ("special characters").
	if strings.ContainsAny(agentPath, `"'\`) {
		return "", fmt.Errorf("agent path %q: systemd does not accept quotes or backslashes in a program's path", agentPath)
	}
	r := strings.NewReplacer("@PATH@", systemdSpecifiers(agentPath), "@EXEC@", systemdQuote(agentPath))
	return r.Replace(systemdUnitTemplate), nil
}

// systemdSpecifiers escapes "%", which starts a specifier in any unit
// setting.
func systemdSpecifiers(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// systemdQuote makes s the program word of ExecStart: double-quoted
// (spaces), with "%" doubled (specifiers). systemd expands no variables in
// the program's own path, so "$" stays as it is.
func systemdQuote(s string) string {
	return `"` + strings.ReplaceAll(s, "%", "%%") + `"`
}

// plainPath refuses paths no unit or plist line can carry.
func plainPath(p string) error {
	if p == "" || p[0] != '/' {
		return fmt.Errorf("agent path %q is not absolute", p)
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("agent path %q holds a control character", p)
		}
	}
	return nil
}

const launchdPlistTemplate = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Written by "bpclient install"; "bpclient uninstall" removes it. -->
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>@LABEL@</string>
	<key>ProgramArguments</key>
	<array>
		<string>@PATH@</string>
		<string>agent</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<dict>
		<key>Crashed</key>
		<true/>
	</dict>
	<key>LimitLoadToSessionType</key>
	<string>Aqua</string>
	<key>ProcessType</key>
	<string>Interactive</string>
</dict>
</plist>
`

// launchdPlist renders the LaunchAgent that runs "<agentPath> agent" in
// the user's GUI session (ProcessType Interactive: audio must not be
// throttled).
func launchdPlist(agentPath string) (string, error) {
	if err := plainPath(agentPath); err != nil {
		return "", err
	}
	r := strings.NewReplacer("@LABEL@", xmlText(LaunchdLabel), "@PATH@", xmlText(agentPath))
	return r.Replace(launchdPlistTemplate), nil
}

func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) // writes to a buffer: cannot fail
	return b.String()
}

// plistProgram reads Label and ProgramArguments back from a plist, to check
// what an installed LaunchAgent runs.
func plistProgram(data []byte) (label string, args []string, err error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	var (
		path    []string // element names from the root
		lastKey string
		text    strings.Builder
	)
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return "", nil, fmt.Errorf("plist: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			path = append(path, t.Name.Local)
			text.Reset()
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			depth := len(path)
			switch {
			case t.Name.Local == "key" && depth == 3: // plist/dict/key
				lastKey = text.String()
			case t.Name.Local == "string" && depth == 3 && lastKey == "Label":
				label = text.String()
			case t.Name.Local == "string" && depth == 4 && lastKey == "ProgramArguments":
				args = append(args, text.String())
			}
			path = path[:depth-1]
		}
	}
	if label == "" {
		return "", nil, errors.New("plist: no Label")
	}
	if len(args) == 0 {
		return "", nil, errors.New("plist: no ProgramArguments")
	}
	return label, args, nil
}

// unitExecStart reads the program of a unit's ExecStart= line back,
// undoing systemdQuote.
func unitExecStart(unit string) (program string, args []string, err error) {
	for _, line := range strings.Split(unit, "\n") {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), "ExecStart=")
		if !ok {
			continue
		}
		words, err := splitQuoted(v)
		if err != nil {
			return "", nil, fmt.Errorf("unit: ExecStart: %w", err)
		}
		if len(words) == 0 {
			return "", nil, errors.New("unit: empty ExecStart")
		}
		for i, w := range words {
			words[i] = strings.ReplaceAll(w, "%%", "%")
		}
		return words[0], words[1:], nil
	}
	return "", nil, errors.New("unit: no ExecStart")
}

// windowsRunCommand is the Run value's data: the quoted program, then "agent".
func windowsRunCommand(agentPath string) string { return `"` + agentPath + `" agent` }

// runCommandProgram reads the program back from a Run value's data.
func runCommandProgram(cmd string) (program string, args []string, err error) {
	cmd = strings.TrimSpace(cmd)
	if rest, ok := strings.CutPrefix(cmd, `"`); ok {
		i := strings.IndexByte(rest, '"')
		if i < 0 {
			return "", nil, errors.New("run value: unbalanced quote")
		}
		return rest[:i], strings.Fields(rest[i+1:]), nil
	}
	f := strings.Fields(cmd)
	if len(f) == 0 {
		return "", nil, errors.New("run value: empty")
	}
	return f[0], f[1:], nil
}

// splitQuoted splits a systemd command line into words: double-quoted
// words with \\ and \" escapes, or bare words.
func splitQuoted(s string) ([]string, error) {
	var words []string
	for i := 0; i < len(s); {
		switch {
		case s[i] == ' ' || s[i] == '\t':
			i++
		case s[i] == '"':
			var w strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, errors.New("unbalanced quote")
				}
				if s[i] == '\\' && i+1 < len(s) {
					w.WriteByte(s[i+1])
					i += 2
					continue
				}
				if s[i] == '"' {
					i++
					break
				}
				w.WriteByte(s[i])
				i++
			}
			words = append(words, w.String())
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\t' {
				j++
			}
			words = append(words, s[i:j])
			i = j
		}
	}
	return words, nil
}
