package browsertest

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"

	"github.com/chromedp/chromedp"
)

// Screenshotter is a Page that can take a PNG picture of one element, as
// the browser renders it.
type Screenshotter interface {
	Screenshot(ctx context.Context, selector string) ([]byte, error)
}

// Screenshot implements Screenshotter for Chromium (CDP's
// Page.captureScreenshot, clipped to the element).
func (p *chromiumPage) Screenshot(ctx context.Context, selector string) ([]byte, error) {
	png, err := chromiumRun(p, ctx, chromedp.Screenshot(chromedp.CSS(selector)))
	if err != nil {
		return nil, fmt.Errorf("screenshot %s: %w", selector, err)
	}
	return png, nil
}

// Screenshot implements Screenshotter for Firefox (WebDriver's element
// screenshot through Marionette).
func (p *firefoxPage) Screenshot(ctx context.Context, selector string) ([]byte, error) {
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	if err := p.f.switchLocked(ctx, p.handle); err != nil {
		return nil, err
	}
	var el map[string]string
	if err := p.f.m.Call(ctx, "WebDriver:FindElement", map[string]any{"using": "css selector", "value": selector}, &valueOf[map[string]string]{&el}); err != nil {
		return nil, fmt.Errorf("screenshot %s: %w", selector, err)
	}
	for _, id := range el {
		var b64 string
		if err := p.f.m.Call(ctx, "WebDriver:TakeScreenshot", map[string]any{"id": id, "full": false, "hash": false, "scroll": true}, &valueOf[string]{&b64}); err != nil {
			return nil, fmt.Errorf("screenshot %s: %w", selector, err)
		}
		return base64.StdEncoding.DecodeString(b64)
	}
	return nil, fmt.Errorf("screenshot %s: no element reference", selector)
}

// ColorPixels decodes a PNG and counts its pixels within tol of each
// 8-bit channel of the colour want (0xRRGGBB).
func ColorPixels(pngData []byte, want uint32, tol int) (int, error) {
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		return 0, fmt.Errorf("decode screenshot: %w", err)
	}
	return colorPixels(img, want, tol), nil
}

func colorPixels(img image.Image, want uint32, tol int) int {
	wr, wg, wb := int(want>>16&0xff), int(want>>8&0xff), int(want&0xff)
	b := img.Bounds()
	near := func(a, b int) bool { return a-b <= tol && b-a <= tol }
	match := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(int(r>>8), wr) && near(int(g>>8), wg) && near(int(bl>>8), wb) {
				match++
			}
		}
	}
	return match
}
