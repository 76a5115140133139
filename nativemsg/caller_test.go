package nativemsg

import "testing"

func TestParseCaller(t *testing.T) {
	tests := []struct {
		args []string
		want Caller
		ok   bool
	}{
		{[]string{"chrome-extension://abc/"}, Caller{Family: FamilyChromium, Extension: "chrome-extension://abc/"}, true},
		{[]string{"chrome-extension://abc/", "--parent-window=1234"}, Caller{Family: FamilyChromium, Extension: "chrome-extension://abc/"}, true},
		{[]string{"/home/u/.mozilla/native-messaging-hosts/x.json", "bpclient@openbpclient.org"},
			Caller{Family: FamilyFirefox, Manifest: "/home/u/.mozilla/native-messaging-hosts/x.json", Extension: "bpclient@openbpclient.org"}, true},
		{nil, Caller{}, false},
		{[]string{"chrome-extension:///"}, Caller{}, false},
		{[]string{"chrome-extension://a/b"}, Caller{}, false},
		{[]string{"--help"}, Caller{}, false},
		{[]string{"x.json", ""}, Caller{}, false},
	}
	for _, tt := range tests {
		got, err := ParseCaller(tt.args)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseCaller(%q) = %+v, %v; want %+v ok=%v", tt.args, got, err, tt.want, tt.ok)
		}
	}
}
