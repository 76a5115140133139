package doctor

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/testpeers"
)

// TestWindowsRegistryUnderWine builds this package's tests for Windows
// and runs TestRegistryUnderWine in a private wine prefix: the real
// registry reader (golang.org/x/sys/windows/registry) against real keys,
// and TestMicrophonePermissionUnderWine in the same prefix.
func TestWindowsRegistryUnderWine(t *testing.T) {
	for _, tool := range []string{"wine", "wineboot", "wineserver", "x86_64-w64-mingw32-gcc"} {
		if _, err := exec.LookPath(tool); err != nil {
			testpeers.Missing(t, tool+" is not installed: scripts/deps-release.sh installs wine and mingw-w64")
			return
		}
	}
	root, err := browsertest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	exe := filepath.Join(dir, "doctor.test.exe")
	build := exec.CommandContext(ctx, "go", "test", "-c", "-o", exe, "./helper/doctor")
	build.Dir = root
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the Windows tests: %v\n%s", err, out)
	}
	// wine 8 lacks the bcryptprimitives.dll every Go program needs: the
	// test-only stand-in of packaging/test.
	dll := filepath.Join(dir, "bcryptprimitives.dll")
	if out, err := exec.CommandContext(ctx, "x86_64-w64-mingw32-gcc", "-shared", "-O2", "-s", "-o", dll,
		filepath.Join(root, "packaging/test/processprng.c"), "-ladvapi32").CombinedOutput(); err != nil {
		t.Fatalf("build bcryptprimitives.dll: %v\n%s", err, out)
	}
	prefix := filepath.Join(dir, "prefix")
	env := append(os.Environ(), "WINEPREFIX="+prefix, "WINEARCH=win64", "WINEDEBUG=-all",
		"WINEDLLOVERRIDES=mscoree,mshtml=", "HOME="+filepath.Join(dir, "home"), "DISPLAY=")
	t.Cleanup(func() {
		kill := exec.Command("wineserver", "-k")
		kill.Env = env
		_ = kill.Run()
	})
	boot := exec.CommandContext(ctx, "wineboot", "-i")
	boot.Env = env
	if out, err := boot.CombinedOutput(); err != nil {
		t.Fatalf("wineboot -i: %v\n%s", err, out)
	}
	data, err := os.ReadFile(dll)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(prefix, "drive_c/windows/system32/bcryptprimitives.dll"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	run := exec.CommandContext(ctx, "wine", exe, "-test.run", "^(TestRegistryUnderWine|TestMicrophonePermissionUnderWine)$", "-test.v")
	run.Env = append(env, "BPCLIENT_DOCTOR_WINE_PREFIX="+prefix)
	out, err := run.CombinedOutput()
	text := strings.ReplaceAll(string(out), "\r", "")
	if err != nil || !strings.Contains(text, "--- PASS: TestRegistryUnderWine") || !strings.Contains(text, "--- PASS: TestMicrophonePermissionUnderWine") {
		t.Fatalf("under wine: %v\n%s", err, text)
	}
}
