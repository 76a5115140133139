package chart

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/openbpclient/bpclient/helper/support/callquality"
)

// Bounds on what bpclient-chart accepts. The agent's history keeps at
// most 10 calls of at most 720 samples (an hour at one report per 5 s),
// which is well under a megabyte of JSON; anything beyond these is not
// from bpclient and would only make a picture too big to read.
const (
	MaxInputBytes     = 4 << 20
	MaxCalls          = 10
	MaxSamplesPerCall = 720
)

// ErrBadInput marks input bpclient-chart refuses, as opposed to a
// failure to draw.
var ErrBadInput = errors.New("bad input")

// Decode reads one callquality.ChartInput from r, at most MaxInputBytes, and checks it
// against the bounds above.
func Decode(r io.Reader) ([]callquality.CallHistory, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read the calls: %w", err)
	}
	if len(data) > MaxInputBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrBadInput, MaxInputBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var in callquality.ChartInput
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("%w: not the calls' JSON: %v", ErrBadInput, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: more than one JSON value", ErrBadInput)
	}
	switch {
	case len(in.Calls) == 0:
		return nil, fmt.Errorf("%w: no calls to draw", ErrBadInput)
	case len(in.Calls) > MaxCalls:
		return nil, fmt.Errorf("%w: %d calls, at most %d", ErrBadInput, len(in.Calls), MaxCalls)
	}
	for i, c := range in.Calls {
		if len(c.Samples) > MaxSamplesPerCall {
			return nil, fmt.Errorf("%w: call %d has %d samples, at most %d", ErrBadInput, i+1, len(c.Samples), MaxSamplesPerCall)
		}
	}
	return in.Calls, nil
}
