package version

import "testing"

func TestParseAndCompare(t *testing.T) {
	tests := []struct {
		a, b string
		less bool
	}{
		{"0.1.0", "0.2.0", true},
		{"1.0.0", "0.9.9", false},
		{"v1.2", "1.2.0", false},
		{"1.2.3-rc1", "1.2.4", true},
		{"2", "10.0.0", true},
	}
	for _, tt := range tests {
		a, err := Parse(tt.a)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.a, err)
		}
		b, err := Parse(tt.b)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.b, err)
		}
		if got := a.Less(b); got != tt.less {
			t.Errorf("%s < %s = %v, want %v", tt.a, tt.b, got, tt.less)
		}
	}
	for _, bad := range []string{"", "x.y.z", "1.2.3.4", "-1.0.0", "1..2"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded, want error", bad)
		}
	}
}
