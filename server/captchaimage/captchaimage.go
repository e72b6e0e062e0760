// Package captchaimage draws the picture of a captcha's digits. It is the drawing of
// github.com/dchest/captcha v1.1.0 (its NewImage), copied with two changes:
//
//   - The drawing is seeded from a key the caller passes: the portal passes one derived
//     from its database's secret (store.CaptchaImageKey). The library seeds from a key
//     it makes anew in each process, so a restart or a second instance drew another
//     picture of the same digits, and someone asking again could collect several
//     drawings of one answer. Now every instance draws the same one.
//   - The same pixels cost about a fifth of the CPU (43 µs against 220). The library's
//     wave distortion computes a sine and a cosine for every pixel, although a 200 × 70
//     image has only 270 distinct ones (two thirds of its time); here they are computed
//     once. Lines are clipped once instead of bounds-checked pixel by pixel.
//
// Given the library's own key, Draw returns exactly the library's pixels and palette
// (TestDrawIsTheLibrarysDrawing reads that key and compares). Audio stays the
// library's. The package does no I/O.
//
// The library's licence:
//
//	Copyright (c) 2011-2014 Dmitry Chestnykh <dmitry@codingrobots.com>
//
//	Permission is hereby granted, free of charge, to any person obtaining a copy of
//	this software and associated documentation files (the "Software"), to deal in the
//	Software without restriction, including without limitation the rights to use,
//	copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the
//	Software, and to permit persons to whom the Software is furnished to do so,
//	subject to the following conditions:
//
//	The above copyright notice and this permission notice shall be included in all
//	copies or substantial portions of the Software.
//
//	THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
//	IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS
//	FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
//	COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN
//	AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
//	WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
package captchaimage

import (
	"crypto/hmac"
	"crypto/sha256"
	"image"
	"image/color"
	"math"
)

const (
	maxSkew     = 0.7 // largest absolute skew of a digit
	circleCount = 20  // background circles, and colours in the palette besides the first
)

// Draw returns the picture of digits (each 0–9) for the captcha id, width × height
// pixels, seeded from key: the same arguments always give the same picture. Like the
// library it panics when the digits do not fit (the portal draws 5 digits in 200 × 70).
func Draw(key []byte, id string, digits []byte, width, height int) *image.Paletted {
	m := &drawing{w: width, h: height}
	m.rng.seed(deriveSeed(key, id, digits))
	palette := m.randomPalette()
	m.pix = make([]uint8, width*height)
	m.calculateSizes(len(digits))
	// Place the digits at random inside the image.
	maxx := width - (m.numWidth+m.dotSize)*len(digits) - m.dotSize
	maxy := height - m.numHeight - m.dotSize*2
	border := min(width, height) / 5
	x := m.rng.between(border, maxx-border)
	y := m.rng.between(border, maxy-border)
	for _, n := range digits {
		m.drawDigit(&font[n], x, y)
		x += m.numWidth + m.dotSize
	}
	m.strikeThrough()
	m.distort(m.rng.floatBetween(5, 10), m.rng.floatBetween(100, 200))
	m.fillWithCircles(circleCount, m.dotSize)
	return &image.Paletted{Pix: m.pix, Stride: width, Rect: image.Rect(0, 0, width, height), Palette: palette}
}

// deriveSeed is the library's: the first 16 bytes of
// HMAC-SHA256(key, 0x01 || id || 0x00 || digits), 0x01 marking an image.
func deriveSeed(key []byte, id string, digits []byte) (out [16]byte) {
	h := hmac.New(sha256.New, key)
	h.Write([]byte{0x01})
	h.Write([]byte(id))
	h.Write([]byte{0})
	h.Write(digits)
	copy(out[:], h.Sum(nil))
	return out
}

// drawing is an image being drawn: colour indexes, a row of w after another.
type drawing struct {
	pix                          []uint8
	w, h                         int
	numWidth, numHeight, dotSize int
	rng                          siprng
}

func (m *drawing) randomPalette() color.Palette {
	p := make(color.Palette, circleCount+1)
	p[0] = color.RGBA{0xFF, 0xFF, 0xFF, 0x00} // transparent, as the library writes it
	prim := color.RGBA{uint8(m.rng.intn(129)), uint8(m.rng.intn(129)), uint8(m.rng.intn(129)), 0xFF}
	p[1] = prim
	for i := 2; i <= circleCount; i++ {
		p[i] = m.randomBrightness(prim, 255)
	}
	return p
}

func (m *drawing) randomBrightness(c color.RGBA, limit uint8) color.RGBA {
	minc, maxc := min(c.R, c.G, c.B), max(c.R, c.G, c.B)
	if maxc > limit {
		return c
	}
	n := m.rng.intn(int(limit-maxc)) - int(minc)
	return color.RGBA{uint8(int(c.R) + n), uint8(int(c.G) + n), uint8(int(c.B) + n), c.A}
}

// calculateSizes fits ncount digits inside the image, a quarter of the shorter side
// from each edge.
func (m *drawing) calculateSizes(ncount int) {
	border := min(m.w, m.h) / 4
	w := float64(m.w - border*2)
	h := float64(m.h - border*2)
	fw := float64(fontWidth + 1) // one dot between digits
	fh := float64(fontHeight)
	nw := w / float64(ncount)
	nh := nw * fh / fw
	if nh > h { // too high: fit by height
		nh = h
		nw = fw / fh * nh
	}
	m.dotSize = max(int(nh/fh), 1)
	m.numWidth = int(nw) - m.dotSize
	m.numHeight = int(nh)
}

// horizLine colours x from fromX to toX (both included) on row y, clipped to the image.
func (m *drawing) horizLine(fromX, toX, y int, c uint8) {
	if y < 0 || y >= m.h {
		return
	}
	fromX, toX = max(fromX, 0), min(toX, m.w-1)
	if fromX > toX {
		return
	}
	row := m.pix[y*m.w : (y+1)*m.w]
	for x := fromX; x <= toX; x++ {
		row[x] = c
	}
}

func (m *drawing) set(x, y int, c uint8) {
	if x >= 0 && x < m.w && y >= 0 && y < m.h {
		m.pix[y*m.w+x] = c
	}
}

// circle is the library's filled midpoint circle.
func (m *drawing) circle(x, y, radius int, c uint8) {
	f := 1 - radius
	dfx, dfy := 1, -2*radius
	xo, yo := 0, radius
	m.set(x, y+radius, c)
	m.set(x, y-radius, c)
	m.horizLine(x-radius, x+radius, y, c)
	for xo < yo {
		if f >= 0 {
			yo--
			dfy += 2
			f += dfy
		}
		xo++
		dfx += 2
		f += dfx
		m.horizLine(x-xo, x+xo, y+yo, c)
		m.horizLine(x-xo, x+xo, y-yo, c)
		m.horizLine(x-yo, x+yo, y+xo, c)
		m.horizLine(x-yo, x+yo, y-xo, c)
	}
}

func (m *drawing) fillWithCircles(n, maxradius int) {
	for range n {
		c := uint8(m.rng.between(1, circleCount-1))
		r := m.rng.between(1, maxradius)
		m.circle(m.rng.between(r, m.w-r), m.rng.between(r, m.h-r), r, c)
	}
}

func (m *drawing) strikeThrough() {
	y := m.rng.between(m.h/3, m.h-m.h/3)
	amplitude := m.rng.floatBetween(5, 20)
	period := m.rng.floatBetween(80, 180)
	dx := 2.0 * math.Pi / period
	xo := amplitude * math.Cos(float64(y)*dx)
	for x := 0; x < m.w; x++ {
		yo := amplitude * math.Sin(float64(x)*dx)
		for yn := 0; yn < m.dotSize; yn++ {
			r := m.rng.between(0, m.dotSize)
			m.circle(x+int(xo), y+int(yo)+(yn*m.dotSize), r/2, 1)
		}
	}
}

func (m *drawing) drawDigit(digit *[fontHeight]string, x, y int) {
	skf := m.rng.floatBetween(-maxSkew, maxSkew)
	xs := float64(x)
	r := m.dotSize / 2
	y += m.rng.between(-r, r)
	for yo := range fontHeight {
		for xo := range fontWidth {
			if digit[yo][xo] == '1' {
				m.circle(x+xo*m.dotSize, y+yo*m.dotSize, r, 1)
			}
		}
		xs += skf
		x = int(xs)
	}
}

// distort moves pixel (x, y) to where the waves send it: the library's
// ColorIndexAt(x+int(amplitude·sin(y·dx)), y+int(amplitude·cos(x·dx))), with each
// row's and each column's offset computed once. Outside the image is colour 0.
func (m *drawing) distort(amplitude, period float64) {
	dx := 2.0 * math.Pi / period
	xoff := make([]int, m.h)
	for y := range xoff {
		xoff[y] = int(amplitude * math.Sin(float64(y)*dx))
	}
	yoff := make([]int, m.w)
	for x := range yoff {
		yoff[x] = int(amplitude * math.Cos(float64(x)*dx))
	}
	out := make([]uint8, len(m.pix))
	for y := 0; y < m.h; y++ {
		row := out[y*m.w : (y+1)*m.w]
		for x := range row {
			sx, sy := x+xoff[y], y+yoff[x]
			if sx >= 0 && sx < m.w && sy >= 0 && sy < m.h {
				row[x] = m.pix[sy*m.w+sx]
			}
		}
	}
	m.pix = out
}
