package monitorapi

import (
	"errors"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/screen/live"
)

func screenErr(reason, format string, args ...any) *jsonrpc.Error {
	return jsonrpc.Errorf(jsonrpc.CodeScreen, format, args...).WithData(map[string]string{"reason": reason})
}

// liveErr turns an error of screen/live into the API's.
func liveErr(what string, err error) *jsonrpc.Error {
	switch {
	case errors.Is(err, live.ErrBadSDP):
		return screenErr(jsonrpc.ReasonBadSDP, "%s: %v", what, err)
	case errors.Is(err, live.ErrBadCandidate):
		return screenErr(jsonrpc.ReasonBadCandidate, "%s: %v", what, err)
	case errors.Is(err, live.ErrWrongState):
		return screenErr(jsonrpc.ReasonWrongState, "%s: %v", what, err)
	}
	return jsonrpc.Errorf(jsonrpc.CodeInternal, "internal error: %s: %v", what, err)
}
