package desktopclient_test

import (
	"testing"
	"time"

	"github.com/openbpclient/bpclient/desktopclient"
)

// next returns the next event of type T, skipping others.
func next[T desktopclient.Event](t *testing.T, c *desktopclient.Client) T {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("events closed waiting for %T", *new(T))
			}
			if e, ok := ev.(T); ok {
				return e
			}
		case <-timeout:
			t.Fatalf("no %T within 20 s", *new(T))
		}
	}
}
