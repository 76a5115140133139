package chart

import (
	"image"
	"image/color"
)

// CountColor counts the pixels of img within r whose colour is c, give
// or take the antialiasing's few levels: how a test finds a series.
func CountColor(img image.Image, r image.Rectangle, c color.RGBA) int {
	const tolerance = 8 << 8
	want := [3]uint32{uint32(c.R) << 8, uint32(c.G) << 8, uint32(c.B) << 8}
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if near(pr, want[0], tolerance) && near(pg, want[1], tolerance) && near(pb, want[2], tolerance) {
				n++
			}
		}
	}
	return n
}

func near(a, b, tol uint32) bool {
	if a > b {
		return a-b <= tol
	}
	return b-a <= tol
}
