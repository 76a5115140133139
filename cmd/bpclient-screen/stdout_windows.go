package main

import "os"

// protocolOut is where the frames to the agent go: stdout (the C
// libraries of this build print nothing on Windows).
func protocolOut() *os.File { return os.Stdout }
