package phoneapi_test

import (
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/phoneapi"
)

// TestConfigureRTPLatching: phone.configure takes rtpLatching
// "signalled-ip" and "off", and refuses anything else as invalid params
// naming the field.
func TestConfigureRTPLatching(t *testing.T) {
	svc := phoneapi.New(phoneapi.Options{Logger: zerolog.Nop()})
	t.Cleanup(svc.Close)
	base := func(latching string) map[string]any {
		return map[string]any{"server": "127.0.0.1:5060", "username": "1001", "rtpLatching": latching}
	}
	for _, ok := range []string{"signalled-ip", "off"} {
		mustInvoke(t, svc, "phone.configure", base(ok))
	}
	_, jerr := invoke(t, svc, "phone.configure", base("any"))
	if jerr == nil || jerr.Code != jsonrpc.CodeInvalidParams || !strings.Contains(jerr.Message, "rtpLatching") {
		t.Errorf("rtpLatching any: %v", jerr)
	}
}
