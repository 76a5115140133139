package nativemsg

import "testing"

func envOf(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestManifestLocations(t *testing.T) {
	const name = "org.openbpclient.bpclient.json"
	linux := envOf(map[string]string{"HOME": "/home/ann"})
	linuxXDG := envOf(map[string]string{"HOME": "/home/ann", "XDG_CONFIG_HOME": "/cfg/"})
	linuxRelXDG := envOf(map[string]string{"HOME": "/home/ann", "XDG_CONFIG_HOME": "cfg"})
	mac := envOf(map[string]string{"HOME": "/Users/ann"})
	win := envOf(map[string]string{"LOCALAPPDATA": `C:\Users\ann\AppData\Local`, "HOME": "/ignored"})

	for _, tc := range []struct {
		goos    string
		env     func(string) string
		browser Browser
		file    string
		key     string
		root    string
	}{
		{"linux", linux, Chrome, "/home/ann/.config/google-chrome/NativeMessagingHosts/" + name, "", "/home/ann/.config"},
		{"linux", linux, Chromium, "/home/ann/.config/chromium/NativeMessagingHosts/" + name, "", "/home/ann/.config"},
		{"linux", linux, Edge, "/home/ann/.config/microsoft-edge/NativeMessagingHosts/" + name, "", "/home/ann/.config"},
		{"linux", linux, Brave, "/home/ann/.config/BraveSoftware/Brave-Browser/NativeMessagingHosts/" + name, "", "/home/ann/.config"},
		{"linux", linux, Vivaldi, "/home/ann/.config/vivaldi/NativeMessagingHosts/" + name, "", "/home/ann/.config"},
		{"linux", linux, Firefox, "/home/ann/.mozilla/native-messaging-hosts/" + name, "", "/home/ann"},
		{"linux", linuxXDG, Chrome, "/cfg/google-chrome/NativeMessagingHosts/" + name, "", "/cfg"},
		{"linux", linuxXDG, Brave, "/cfg/BraveSoftware/Brave-Browser/NativeMessagingHosts/" + name, "", "/cfg"},
		{"linux", linuxXDG, Firefox, "/home/ann/.mozilla/native-messaging-hosts/" + name, "", "/home/ann"},
		{"linux", linuxRelXDG, Chromium, "/home/ann/.config/chromium/NativeMessagingHosts/" + name, "", "/home/ann/.config"},
		{"freebsd", linux, Chromium, "/home/ann/.config/chromium/NativeMessagingHosts/" + name, "", "/home/ann/.config"},

		{"darwin", mac, Chrome, "/Users/ann/Library/Application Support/Google/Chrome/NativeMessagingHosts/" + name, "", "/Users/ann/Library/Application Support"},
		{"darwin", mac, Chromium, "/Users/ann/Library/Application Support/Chromium/NativeMessagingHosts/" + name, "", "/Users/ann/Library/Application Support"},
		{"darwin", mac, Edge, "/Users/ann/Library/Application Support/Microsoft Edge/NativeMessagingHosts/" + name, "", "/Users/ann/Library/Application Support"},
		{"darwin", mac, Brave, "/Users/ann/Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts/" + name, "", "/Users/ann/Library/Application Support"},
		{"darwin", mac, Vivaldi, "/Users/ann/Library/Application Support/Vivaldi/NativeMessagingHosts/" + name, "", "/Users/ann/Library/Application Support"},
		{"darwin", mac, Firefox, "/Users/ann/Library/Application Support/Mozilla/NativeMessagingHosts/" + name, "", "/Users/ann/Library/Application Support"},

		{"windows", win, Chrome, `C:\Users\ann\AppData\Local\BPClient\NativeMessagingHosts\chrome\` + name, `Software\Google\Chrome\NativeMessagingHosts\org.openbpclient.bpclient`, `C:\Users\ann\AppData\Local`},
		{"windows", win, Chromium, `C:\Users\ann\AppData\Local\BPClient\NativeMessagingHosts\chromium\` + name, `Software\Chromium\NativeMessagingHosts\org.openbpclient.bpclient`, `C:\Users\ann\AppData\Local`},
		{"windows", win, Edge, `C:\Users\ann\AppData\Local\BPClient\NativeMessagingHosts\edge\` + name, `Software\Microsoft\Edge\NativeMessagingHosts\org.openbpclient.bpclient`, `C:\Users\ann\AppData\Local`},
		{"windows", win, Brave, `C:\Users\ann\AppData\Local\BPClient\NativeMessagingHosts\chrome\` + name, `Software\Google\Chrome\NativeMessagingHosts\org.openbpclient.bpclient`, `C:\Users\ann\AppData\Local`},
		{"windows", win, Vivaldi, `C:\Users\ann\AppData\Local\BPClient\NativeMessagingHosts\chrome\` + name, `Software\Google\Chrome\NativeMessagingHosts\org.openbpclient.bpclient`, `C:\Users\ann\AppData\Local`},
		{"windows", win, Firefox, `C:\Users\ann\AppData\Local\BPClient\NativeMessagingHosts\firefox\` + name, `Software\Mozilla\NativeMessagingHosts\org.openbpclient.bpclient`, `C:\Users\ann\AppData\Local`},
	} {
		loc, err := ManifestLocation(tc.goos, tc.browser, tc.env)
		if err != nil {
			t.Errorf("%s/%s: %v", tc.goos, tc.browser, err)
			continue
		}
		if loc.File != tc.file || loc.RegistryKey != tc.key || loc.Root != tc.root || loc.Browser != tc.browser {
			t.Errorf("%s/%s:\n got %+v\nwant file=%q key=%q root=%q", tc.goos, tc.browser, loc, tc.file, tc.key, tc.root)
		}
		if dir := loc.Dir(); dir+"/"+name != loc.File && dir+`\`+name != loc.File {
			t.Errorf("%s/%s: Dir() = %q", tc.goos, tc.browser, dir)
		}
	}
}

func TestManifestLocationErrors(t *testing.T) {
	for _, tc := range []struct {
		goos string
		env  map[string]string
		b    Browser
	}{
		{"linux", map[string]string{}, Chrome},
		{"linux", map[string]string{"HOME": "relative"}, Firefox},
		{"darwin", map[string]string{}, Chrome},
		{"windows", map[string]string{"HOME": "/home/x"}, Chrome},
		{"windows", map[string]string{"LOCALAPPDATA": `AppData\Local`}, Chrome},
		{"linux", map[string]string{"HOME": "/h"}, Browser("opera")},
	} {
		if loc, err := ManifestLocation(tc.goos, tc.b, envOf(tc.env)); err == nil {
			t.Errorf("%s %v %s: got %+v, want error", tc.goos, tc.env, tc.b, loc)
		}
	}
}

func TestJoinWith(t *testing.T) {
	for _, tc := range []struct {
		sep  string
		in   []string
		want string
	}{
		{"/", []string{"/home/a/", "/.config/", "x"}, "/home/a/.config/x"},
		{"/", []string{"/"}, "/"},
		{"/", []string{"/", ".mozilla"}, "/.mozilla"},
		{`\`, []string{`C:\Users\a\`, "BPClient"}, `C:\Users\a\BPClient`},
		{`\`, []string{`\\server\share`, "x"}, `\\server\share\x`},
	} {
		if got := joinWith(tc.sep, tc.in); got != tc.want {
			t.Errorf("joinWith(%q, %q) = %q, want %q", tc.sep, tc.in, got, tc.want)
		}
	}
}
