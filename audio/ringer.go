package audio

import (
	"sync"
	"time"
)

// Ringer plays a clip on several outputs at once (the ring on every
// ringer device while call audio stays on the headset) and stops them
// together.
type Ringer struct {
	sys *System

	mu      sync.Mutex
	streams []*Playback
	wg      sync.WaitGroup
	stop    chan struct{}
}

// NewRinger returns a ringer on sys.
func NewRinger(sys *System) *Ringer { return &Ringer{sys: sys} }

// ringFrame is short so that Stop lands within one frame.
const ringFrame = 10 * time.Millisecond

// Start plays clip (mono PCM at rate) on each output id, looping when
// loop is set (a ring) or once (an alert, whose devices are released
// 100 ms after its end). A ring already playing stops
// first. Devices that fail to open are skipped and reported; Start fails
// only when none opens.
func (r *Ringer) Start(ids []string, clip []int16, rate int, loop bool) (opened []string, err error) {
	r.Stop()
	f := Format{Rate: rate, Frame: ringFrame}
	if len(clip) == 0 {
		clip = make([]int16, f.Samples())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stop = make(chan struct{})
	var firstErr error
	for _, id := range ids {
		pb, e := r.sys.OpenPlayback(id, f, StreamOptions{Name: "ringer", NoMove: true})
		if e != nil {
			if firstErr == nil {
				firstErr = e
			}
			continue
		}
		r.streams = append(r.streams, pb)
		opened = append(opened, pb.Stats().Device)
		r.wg.Add(1)
		go r.feed(pb, clip, f.Samples(), loop, r.stop)
	}
	if len(r.streams) == 0 && firstErr != nil {
		return nil, firstErr
	}
	return opened, nil
}

func (r *Ringer) feed(pb *Playback, clip []int16, n int, loop bool, stop chan struct{}) {
	defer r.wg.Done()
	for pos := 0; ; {
		select {
		case <-stop:
			return
		default:
		}
		end := min(pos+n, len(clip))
		if _, err := pb.WritePCM(clip[pos:end]); err != nil {
			return
		}
		pos = end
		if pos == len(clip) {
			if !loop {
				// An alert: let its tail through the queue and the
				// device's buffer, then release the device.
				silence := make([]int16, n)
				for range 10 {
					if _, err := pb.WritePCM(silence); err != nil {
						return
					}
				}
				pb.Close()
				return
			}
			pos = 0
		}
	}
}

// Stop silences every ringer device at once: what is queued is dropped.
func (r *Ringer) Stop() {
	r.mu.Lock()
	streams := r.streams
	r.streams = nil
	if r.stop != nil {
		close(r.stop)
		r.stop = nil
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, pb := range streams {
		wg.Add(1)
		go func() { defer wg.Done(); pb.Close() }()
	}
	wg.Wait()
	r.wg.Wait()
}

// Ringing reports whether any ringer stream still plays.
func (r *Ringer) Ringing() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, pb := range r.streams {
		select {
		case <-pb.Done():
		default:
			return true
		}
	}
	return false
}
