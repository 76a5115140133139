package sip

// WaitFor is waitFor for the external tests.
var WaitFor = waitFor
