package codec

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// needTool skips the test when a reference tool is missing; make test
// installs them through scripts/deps.sh, so in CI a missing one fails.
func needTool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil && os.Getenv("CI") == "true" {
		t.Fatalf("reference tool %q not found in CI (Debian package %s; scripts/deps.sh installs it)", name, pkg)
	}
	if err != nil {
		t.Skipf("SKIP: reference tool %q not found (Debian package %s; scripts/deps.sh installs it)", name, pkg)
	}
	return p
}

func lookTool(name string) (string, error) { return exec.LookPath(name) }

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func writeS16(t testing.TB, dir, name string, pcm []int16) string {
	t.Helper()
	b := make([]byte, 2*len(pcm))
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readS16(t testing.TB, path string) []int16 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, len(b)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return pcm
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// encodeAll runs an encoder over pcm in frames of frame samples and
// returns the payloads.
func encodeAll(t testing.TB, enc Encoder, pcm []int16, frame, maxPayload int) [][]byte {
	t.Helper()
	var out [][]byte
	for off := 0; off+frame <= len(pcm); off += frame {
		buf := make([]byte, maxPayload)
		n, err := enc.Encode(buf, pcm[off:off+frame])
		if err != nil {
			t.Fatalf("encode at %d: %v", off, err)
		}
		out = append(out, buf[:n])
	}
	return out
}

func decodeAll(t testing.TB, dec Decoder, payloads [][]byte, maxFrame int) []int16 {
	t.Helper()
	var out []int16
	buf := make([]int16, maxFrame)
	for i, p := range payloads {
		n, err := dec.Decode(buf, p)
		if err != nil {
			t.Fatalf("decode payload %d: %v", i, err)
		}
		out = append(out, buf[:n]...)
	}
	return out
}

func concat(ps [][]byte) []byte {
	var b []byte
	for _, p := range ps {
		b = append(b, p...)
	}
	return b
}
