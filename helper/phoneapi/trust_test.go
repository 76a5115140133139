package phoneapi_test

import (
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/phoneapi"
)

// TestConfigureTrustOptions: trustedPeers, maxRingingCalls, ringTimeoutSec
// and authRealm reach the phone: bad values are -32602 naming the field,
// good ones configure.
func TestConfigureTrustOptions(t *testing.T) {
	svc := phoneapi.New(phoneapi.Options{})
	t.Cleanup(svc.Close)
	base := func(extra map[string]any) map[string]any {
		m := map[string]any{"server": "127.0.0.1:9", "username": "1001", "password": "x", "domain": "127.0.0.1"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		extra map[string]any
		want  string
	}{
		{map[string]any{"trustedPeers": []string{"10.0.0.0/33"}}, "trustedPeers"},
		{map[string]any{"maxRingingCalls": 500}, "maxRingingCalls"},
	} {
		_, jerr := invoke(t, svc, "phone.configure", base(tc.extra))
		if jerr == nil || jerr.Code != jsonrpc.CodeInvalidParams || !strings.Contains(jerr.Message, tc.want) {
			t.Errorf("%v: %v, want -32602 naming %s", tc.extra, jerr, tc.want)
		}
	}
	mustInvoke(t, svc, "phone.configure", base(map[string]any{"trustedPeers": []string{"127.0.0.1", "10.1.0.0/24", "[::1]:5070"},
		"maxRingingCalls": 2, "ringTimeoutSec": 30, "authRealm": "pbx.example.com"}))
}
