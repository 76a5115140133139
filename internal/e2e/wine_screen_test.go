//go:build linux

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/desktoptest"
)

// TestWineScreenCapture runs screen/capture's Windows code under wine on
// a private Xvfb painted with four colours, the pointer moved with
// xdotool: the Windows test exe checks the pixels and the pointer (its
// TestGrabKnownScreen). Open tries DXGI desktop duplication first: wine
// 8 (Debian 12) creates the DXGI factory, lists the adapter and its
// output, hands out IDXGIOutput1 and a D3D11 device, and answers
// DuplicateOutput with E_NOTIMPL, so the capture must fall back to GDI
// (BitBlt, the pointer drawn with DrawIconEx) saying so; forced GDI and
// a DXGI capture that lost its device are checked too. TestD3D11StagingCopy
// runs the part of a DXGI grab that wine can: a texture copied through
// the staging texture, mapped and copied by its row pitch; and
// TestDXGIGrabWithFakeDuplication runs the capture's grab over wine's
// D3D11 with a duplication made of Go callbacks (frames, timeouts, the
// pointer, access lost, the device lost). Run with BPCLIENT_WINE_E2E=1,
// as the other wine tests.
func TestWineScreenCapture(t *testing.T) {
	if os.Getenv("BPCLIENT_WINE_E2E") == "" {
		t.Skip("SKIP: set BPCLIENT_WINE_E2E=1 to run the Windows screen capture under wine")
	}
	if !needWine(t) {
		return
	}
	p := desktoptest.StartPainted(t, 1280, 720)
	if p == nil {
		return
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "capture.test.exe")
	build := exec.Command("go", "test", "-c", "-o", exe, "../../screen/capture")
	build.Env = append(build.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the Windows capture test: %v\n%s", err, out)
	}
	w := bootWinePrefix(t, dir)
	p.Fill(desktoptest.Box{W: 640, H: 360, RGB: 0xff0000}, desktoptest.Box{X: 640, W: 640, H: 360, RGB: 0x00ff00},
		desktoptest.Box{Y: 360, W: 640, H: 360, RGB: 0x0000ff}, desktoptest.Box{X: 640, Y: 360, W: 640, H: 360, RGB: 0xffff00})
	p.MovePointer(900, 500) // in the yellow quarter
	expect := "1280x720;10,10,ff0000;1270,10,00ff00;10,710,0000ff;1270,710,ffff00;639,359,ff0000;640,360,ffff00;pointer=900,500,ffff00"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "wine", exe, "-test.run", "^(TestGrabKnownScreen|TestD3D11StagingCopy|TestDXGIGrabWithFakeDuplication)$", "-test.v")
	cmd.Env = w.Env("DISPLAY="+p.Display, "BPCLIENT_CAPTURE_EXPECT="+expect,
		"BPCLIENT_CAPTURE_EXPECT_BACKEND=gdi:IDXGIOutput1::DuplicateOutput: E_NOTIMPL")
	out, err := cmd.CombinedOutput()
	text := strings.ReplaceAll(string(out), "\r", "")
	t.Logf("under wine:\n%s", text)
	if err != nil || !strings.Contains(text, "--- PASS: TestGrabKnownScreen") || !strings.Contains(text, "--- PASS: TestD3D11StagingCopy") ||
		!strings.Contains(text, "--- PASS: TestDXGIGrabWithFakeDuplication") {
		t.Fatalf("the Windows capture test under wine: %v", err)
	}
}
