package policy

import "testing"

// TestSupportUploadURL: only the admin policy names where bundles go, and
// only an https URL without credentials.
func TestSupportUploadURL(t *testing.T) {
	for url, want := range map[string]string{
		"https://support.example.com/upload?sig=1": "https://support.example.com/upload?sig=1",
		"http://support.example.com/upload":        "",
		"https://user:pw@support.example.com/":     "",
		"not a url":                                "",
	} {
		p, warns := Merge(&File{SupportUploadURL: url}, &File{})
		if p.SupportUploadURL != want || (want == "") != (len(warns) == 1) {
			t.Errorf("%q: %q, warnings %v", url, p.SupportUploadURL, warns)
		}
	}
	if p, _ := Merge(&File{}, &File{SupportUploadURL: "https://user.example/"}); p.SupportUploadURL != "" {
		t.Errorf("the user's policy chose %q", p.SupportUploadURL)
	}
}
