//go:build !windows

package audio

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestChildEnumeratorOutlivesNoChild: when the caller gives up (the agent
// stops) while a child is listing devices, the enumerator still waits for
// that child, so no process of the agent's executable outlives the agent.
func TestChildEnumeratorOutlivesNoChild(t *testing.T) {
	done := filepath.Join(t.TempDir(), "done")
	enumerate := ChildEnumerator("/bin/sh", "-c", `sleep 0.5; echo '{"inputs":[],"outputs":[]}'; : > "$0"`, done)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := enumerate(ctx)
	if err == nil {
		t.Fatal("an enumeration its caller gave up on succeeded")
	}
	if _, statErr := os.Stat(done); statErr != nil {
		t.Fatalf("enumerate returned (%v) while its child was still running", err)
	}

	list, err := enumerate(context.Background())
	if err != nil || list.Inputs == nil {
		t.Fatalf("enumerate = %+v, %v", list, err)
	}
}
