package sip

import (
	"testing"

	"github.com/openbpclient/bpclient/audio/dsp"
)

// countingMic is a microphone whose every frame holds its number (from 1),
// and that counts discards.
type countingMic struct {
	next      int16
	discarded int
}

func (m *countingMic) ReadPCM(buf []int16) (int, error) {
	m.next++
	for i := range buf {
		buf[i] = m.next
	}
	return len(buf), nil
}

func (m *countingMic) DiscardPCM() { m.discarded++ }

// TestMicGateSilentUntilConnected: before the call connects the gate
// hands out silence while it still reads (drains) the microphone; as it
// opens it drops what the microphone queued, once, then passes frames.
func TestMicGateSilentUntilConnected(t *testing.T) {
	mic := &countingMic{}
	g := &micGate{src: mic}
	buf := make([]int16, 160)
	for range 3 {
		if n, err := g.ReadPCM(buf); n != 160 || err != nil || dsp.RMS(buf) != 0 {
			t.Fatalf("closed gate read %d, %v, rms %v: want silence", n, err, dsp.RMS(buf))
		}
	}
	if mic.next != 3 {
		t.Fatalf("closed gate read the microphone %d times, want 3 (it must keep draining it)", mic.next)
	}
	g.connect()
	g.connect() // a second connected (after a hold) changes nothing
	for want := int16(4); want <= 6; want++ {
		if _, err := g.ReadPCM(buf); err != nil || buf[0] != want || buf[159] != want {
			t.Fatalf("open gate frame %d, want %d", buf[0], want)
		}
	}
	if mic.discarded != 1 {
		t.Fatalf("discarded %d times, want once, as the gate opened", mic.discarded)
	}
}

// TestMicGateWithoutMicrophone: a call without a microphone sends silence.
func TestMicGateWithoutMicrophone(t *testing.T) {
	g := &micGate{}
	g.connect()
	buf := []int16{1, 2, 3}
	if n, err := g.ReadPCM(buf); n != 3 || err != nil || buf[0]|buf[1]|buf[2] != 0 {
		t.Fatalf("read %d, %v, %v", n, err, buf)
	}
}
