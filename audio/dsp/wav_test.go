package dsp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestWAVRoundTrip(t *testing.T) {
	in := Sine(1600, 440, 16000, 0.5)
	stereo := make([]int16, 2*len(in))
	for i, s := range in {
		stereo[2*i], stereo[2*i+1] = s, s/2
	}
	for _, c := range []struct {
		ch  int
		pcm []int16
	}{{1, in}, {2, stereo}} {
		var buf bytes.Buffer
		if err := WriteWAV(&buf, 16000, c.ch, c.pcm); err != nil {
			t.Fatal(err)
		}
		w, err := ReadWAV(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if w.Rate != 16000 || w.Channels != c.ch || !equal16(w.Samples, c.pcm) {
			t.Errorf("%d channels: got rate %d, %d channels, %d samples", c.ch, w.Rate, w.Channels, len(w.Samples))
		}
	}
}

// sox writes every format we read; we read them back and check the tone.
// sox reads what we write.
func TestWAVAgainstSox(t *testing.T) {
	sox, err := exec.LookPath("sox")
	if err != nil {
		t.Skip("SKIP: reference tool sox not found (Debian package sox; scripts/deps.sh installs it)")
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
		ch   int
	}{
		{"s16", []string{"-e", "signed", "-b", "16"}, 1},
		{"u8", []string{"-e", "unsigned", "-b", "8"}, 1},
		{"s24", []string{"-e", "signed", "-b", "24"}, 1},
		{"s32", []string{"-e", "signed", "-b", "32"}, 1},
		{"f32", []string{"-e", "floating-point", "-b", "32"}, 1},
		{"s16 stereo", []string{"-e", "signed", "-b", "16", "-c", "2"}, 2},
		{"s16 4ch (extensible)", []string{"-e", "signed", "-b", "16", "-c", "4"}, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, "t.wav")
			args := append([]string{"-n", "-r", "8000"}, c.args...)
			args = append(args, p, "synth", "0.5", "sine", "1000", "vol", "0.5")
			if out, err := exec.Command(sox, args...).CombinedOutput(); err != nil {
				t.Fatalf("sox: %v\n%s", err, out)
			}
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			w, err := ReadWAV(f)
			if err != nil {
				t.Fatal(err)
			}
			if w.Rate != 8000 || w.Channels != c.ch || len(w.Samples) != 4000*c.ch {
				t.Fatalf("rate %d, %d channels, %d samples", w.Rate, w.Channels, len(w.Samples))
			}
			a, _ := SineFit(w.Mono(), 1000, 8000)
			if a < 0.48 || a > 0.52 {
				t.Errorf("1 kHz at %.3f of full scale, want 0.5", a)
			}
		})
	}
	var buf bytes.Buffer
	WriteWAV(&buf, 16000, 1, Sine(16000, 2000, 16000, 0.25))
	p := filepath.Join(dir, "ours.wav")
	os.WriteFile(p, buf.Bytes(), 0o600)
	out, err := exec.Command(sox, "--i", "-r", p).Output()
	if err != nil || string(bytes.TrimSpace(out)) != "16000" {
		t.Errorf("sox --i -r on our WAV: %q, %v", out, err)
	}
	raw := filepath.Join(dir, "ours.raw")
	if out, err := exec.Command(sox, p, "-t", "raw", "-e", "signed", "-b", "16", raw).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(raw)
	pcm := make([]int16, len(b)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	if f := DominantFrequency(pcm, 16000); f < 1995 || f > 2005 {
		t.Errorf("sox read our WAV: %.1f Hz, want 2000", f)
	}
}

func TestWAVErrors(t *testing.T) {
	var good bytes.Buffer
	WriteWAV(&good, 8000, 1, []int16{1, 2, 3, 4})
	g := good.Bytes()
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), g...)) }
	for name, b := range map[string][]byte{
		"empty":       nil,
		"not riff":    mut(func(b []byte) []byte { b[0] = 'X'; return b }),
		"no data":     g[:36],
		"bad bits":    mut(func(b []byte) []byte { b[34] = 12; return b }),
		"bad block":   mut(func(b []byte) []byte { b[32] = 3; return b }),
		"0 channels":  mut(func(b []byte) []byte { b[22] = 0; return b }),
		"adpcm":       mut(func(b []byte) []byte { b[20] = 2; return b }),
		"huge fmt":    mut(func(b []byte) []byte { b[16] = 0xff; b[17] = 0xff; return b }),
		"data before": append(append([]byte("RIFF\x00\x00\x00\x00WAVE"), g[36:]...), g[12:36]...),
	} {
		if _, err := ParseWAV(b); !errors.Is(err, ErrWAV) {
			t.Errorf("%s: %v, want ErrWAV", name, err)
		}
	}
	// A data chunk cut short still reads what is there.
	w, err := ParseWAV(g[:len(g)-2])
	if err != nil || len(w.Samples) != 3 {
		t.Errorf("truncated data: %v, %v", w, err)
	}
	if err := WriteWAV(&bytes.Buffer{}, 0, 1, nil); err == nil {
		t.Error("WriteWAV at 0 Hz: no error")
	}
}

func FuzzParseWAV(f *testing.F) {
	var b bytes.Buffer
	WriteWAV(&b, 8000, 2, []int16{1, -1, 300, -300})
	f.Add(b.Bytes())
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := ParseWAV(data)
		if err != nil {
			if !errors.Is(err, ErrWAV) {
				t.Fatalf("error without ErrWAV: %v", err)
			}
			return
		}
		if w.Channels < 1 || w.Channels > 8 || w.Rate < 1 || len(w.Samples)%w.Channels != 0 {
			t.Fatalf("bad result: %d channels, %d Hz, %d samples", w.Channels, w.Rate, len(w.Samples))
		}
		if len(w.Samples) > len(data) {
			t.Fatalf("%d samples from %d bytes", len(w.Samples), len(data))
		}
		_ = w.Mono()
	})
}

func equal16(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
