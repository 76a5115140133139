package codec

import (
	"testing"

	"github.com/openbpclient/bpclient/audio/dsp"
)

// Benchmarks per codec on 20 ms frames of a speech-band test signal. The
// ms/s-audio metric is CPU time per second of audio (50 frames); 1 ms/s
// is 0.1% of one core.

func benchFrame(c Codec) []int16 {
	info := c.Info()
	return testSignal(info.SampleRate/50, info.SampleRate, 440, 1300)
}

func reportPerSecond(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)*50/1e6, "ms/s-audio")
}

func BenchmarkEncode(b *testing.B) {
	for _, c := range Available() {
		b.Run(c.Info().Name, func(b *testing.B) {
			enc, _ := c.NewEncoder()
			pcm := benchFrame(c)
			buf := make([]byte, 1500)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := enc.Encode(buf, pcm); err != nil {
					b.Fatal(err)
				}
			}
			reportPerSecond(b)
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, c := range Available() {
		b.Run(c.Info().Name, func(b *testing.B) {
			enc, _ := c.NewEncoder()
			dec, _ := c.NewDecoder()
			pcm := benchFrame(c)
			buf := make([]byte, 1500)
			n, _ := enc.Encode(buf, pcm)
			out := make([]int16, 5760)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := dec.Decode(out, buf[:n]); err != nil {
					b.Fatal(err)
				}
			}
			reportPerSecond(b)
		})
	}
}

// BenchmarkPipeline is the compute of one call direction each way with a
// 48 kHz device: capture frame → resample to the codec → encode, and
// decode → resample to 48 kHz for playback. Devices are not included.
func BenchmarkPipeline(b *testing.B) {
	for _, c := range Available() {
		b.Run(c.Info().Name, func(b *testing.B) {
			rate := c.Info().SampleRate
			enc, _ := c.NewEncoder()
			dec, _ := c.NewDecoder()
			down, _ := dsp.NewResampler(48000, rate)
			up, _ := dsp.NewResampler(rate, 48000)
			capture := testSignal(960, 48000, 440, 1300)
			codecPCM := make([]int16, down.MaxOut(960))
			decoded := make([]int16, 5760)
			playback := make([]int16, up.MaxOut(5760))
			payload := make([]byte, 1500)
			b.ReportAllocs()
			for b.Loop() {
				n := down.Process(codecPCM, capture)
				m, err := enc.Encode(payload, codecPCM[:n])
				if err != nil {
					b.Fatal(err)
				}
				k, err := dec.Decode(decoded, payload[:m])
				if err != nil {
					b.Fatal(err)
				}
				up.Process(playback, decoded[:k])
			}
			reportPerSecond(b)
		})
	}
}

// Zero allocations per frame for every codec, encode and decode.
func TestCodecNoAllocs(t *testing.T) {
	for _, c := range Available() {
		enc, _ := c.NewEncoder()
		dec, _ := c.NewDecoder()
		pcm := benchFrame(c)
		buf := make([]byte, 1500)
		out := make([]int16, 5760)
		n, _ := enc.Encode(buf, pcm)
		if a := testing.AllocsPerRun(50, func() { enc.Encode(buf, pcm) }); a != 0 {
			t.Errorf("%s encode: %.1f allocations per frame", c.Info().Name, a)
		}
		if a := testing.AllocsPerRun(50, func() { dec.Decode(out, buf[:n]) }); a != 0 {
			t.Errorf("%s decode: %.1f allocations per frame", c.Info().Name, a)
		}
	}
}
