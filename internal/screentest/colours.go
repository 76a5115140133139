package screentest

import "image/color"

// Quadrants is the tests' known pattern: red, green, blue and white
// quarters, left to right and top to bottom.
func Quadrants(width, height int) func(x, y int) color.RGBA {
	cs := [4]color.RGBA{Red, Green, Blue, White}
	return func(x, y int) color.RGBA {
		i := 0
		if x >= width/2 {
			i++
		}
		if y >= height/2 {
			i += 2
		}
		return cs[i]
	}
}

// The pattern's colours.
var (
	Red   = color.RGBA{255, 0, 0, 255}
	Green = color.RGBA{0, 255, 0, 255}
	Blue  = color.RGBA{0, 0, 255, 255}
	White = color.RGBA{255, 255, 255, 255}
	Black = color.RGBA{0, 0, 0, 255}
)
