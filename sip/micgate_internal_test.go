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

// queuedMic is a FrameSource whose frames hold their numbers.
type queuedMic struct{ q []int16 }

func (m *queuedMic) ReadPCM(buf []int16) (int, error) { panic("a FrameSource's media takes frames") }
func (m *queuedMic) NotifyPCM(func())                 {}
func (m *queuedMic) NextPCM(buf []int16) (n, left int, ok bool) {
	if len(m.q) == 0 {
		return 0, 0, false
	}
	for i := range buf {
		buf[i] = m.q[0]
	}
	m.q = m.q[1:]
	return len(buf), len(m.q), true
}

// A microphone whose frames the media sends as they come: silence until
// the call connects; as the gate opens, of what waits only the newest
// goes (the media sends at once, and older frames would go with it as a
// burst the far end keeps as delay), then every frame.
func TestFramedGateSendsTheNewestAsItOpens(t *testing.T) {
	mic := &queuedMic{q: []int16{1, 2}}
	ca := &callAudio{rate: 8000, ready: make(chan struct{}), gate: &micGate{src: mic}}
	ca.a = Audio{Source: mic}
	close(ca.ready)
	g, ok := ca.forMedia(nil, 8000).Source.(FrameSource)
	if !ok {
		t.Fatal("the media's source is not a FrameSource: it would be read on the clock")
	}
	buf := make([]int16, 160)
	if n, left, ok := g.NextPCM(buf); !ok || n != 160 || left != 1 || dsp.RMS(buf) != 0 {
		t.Fatalf("closed: %d, %d left, %v, rms %v; want a frame of silence", n, left, ok, dsp.RMS(buf))
	}
	mic.q = append(mic.q, 3, 4, 5)
	ca.gate.connect()
	if n, left, ok := g.NextPCM(buf); !ok || n != 160 || left != 0 || buf[0] != 5 {
		t.Fatalf("opened: frame %d, %d left, %v; want the newest (5), none left", buf[0], left, ok)
	}
	mic.q = append(mic.q, 6, 7)
	for want := int16(6); want <= 7; want++ {
		if _, _, ok := g.NextPCM(buf); !ok || buf[0] != want {
			t.Fatalf("open: frame %d, want %d", buf[0], want)
		}
	}
	if _, _, ok := g.NextPCM(buf); ok {
		t.Fatal("a frame taken from an empty microphone")
	}
}
