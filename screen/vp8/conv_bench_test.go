package vp8

import (
	"fmt"
	"testing"

	"github.com/openbpclient/bpclient/screen"
	"github.com/openbpclient/bpclient/screen/internal/pattern"
)

func BenchmarkConvert(b *testing.B) {
	for _, out := range [][2]int{{1920, 1080}, {1280, 720}} {
		b.Run(fmt.Sprintf("%dx%d", out[0], out[1]), func(b *testing.B) {
			var src screen.Frame
			pattern.DrawBars(&src, 1920, 1080)
			p := newPlanes(out[0], out[1])
			var c converter
			for b.Loop() {
				c.bgrxToI420(p, &src)
			}
		})
	}
}
