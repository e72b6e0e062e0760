package captchaimage

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	_ "unsafe" // go:linkname, to read the library's key

	"github.com/dchest/captcha"
)

// libraryKey is the key the library made for this process (random.go's rngKey), read so
// that Draw can be given the same one and compared with the library's NewImage. Only
// the test reads it; the portal passes its own key.
//
//go:linkname libraryKey github.com/dchest/captcha.rngKey
var libraryKey [32]byte

// TestDrawIsTheLibrarysDrawing: with the library's key, Draw gives the library's
// pixels and palette for many ids and answers: the portal's size and length, the
// library's standard size, and other lengths (every digit's glyph is drawn).
func TestDrawIsTheLibrarysDrawing(t *testing.T) {
	if libraryKey == [32]byte{} {
		t.Fatal("the library's key was not read")
	}
	r := rand.New(rand.NewPCG(1, 2))
	sizes := []struct{ w, h, n int }{{200, 70, 5}, {captcha.StdWidth, captcha.StdHeight, 6}, {160, 60, 4}, {300, 100, 8}, {120, 160, 3}}
	for i := range 600 {
		s := sizes[i%len(sizes)]
		id := fmt.Sprintf("ID%018d", r.Int64N(1e18))
		digits := make([]byte, s.n)
		for j := range digits {
			digits[j] = byte(r.IntN(10))
		}
		got := Draw(libraryKey[:], id, digits, s.w, s.h)
		want := captcha.NewImage(id, digits, s.w, s.h)
		if got.Bounds() != want.Bounds() || got.Stride != want.Stride || !bytes.Equal(got.Pix, want.Pix) {
			t.Fatalf("%s %v %dx%d: pixels differ from the library's", id, digits, s.w, s.h)
		}
		if len(got.Palette) != len(want.Palette) {
			t.Fatalf("%s: %d colours, want %d", id, len(got.Palette), len(want.Palette))
		}
		for k := range want.Palette {
			if got.Palette[k] != want.Palette[k] {
				t.Fatalf("%s: colour %d is %v, want %v", id, k, got.Palette[k], want.Palette[k])
			}
		}
	}
}

// TestDrawDependsOnKeyIdAndDigits: the same arguments draw the same picture; another
// key, id or answer draws another.
func TestDrawDependsOnKeyIdAndDigits(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	digits := []byte{3, 1, 4, 1, 5}
	a := Draw(key, "AAAAAAAAAAAAAAAAAAAA", digits, 200, 70)
	if b := Draw(key, "AAAAAAAAAAAAAAAAAAAA", digits, 200, 70); !bytes.Equal(a.Pix, b.Pix) {
		t.Error("the same arguments drew two pictures")
	}
	other := map[string]func() []byte{
		"key":    func() []byte { return Draw(bytes.Repeat([]byte{8}, 32), "AAAAAAAAAAAAAAAAAAAA", digits, 200, 70).Pix },
		"id":     func() []byte { return Draw(key, "AAAAAAAAAAAAAAAAAAAB", digits, 200, 70).Pix },
		"digits": func() []byte { return Draw(key, "AAAAAAAAAAAAAAAAAAAA", []byte{3, 1, 4, 1, 6}, 200, 70).Pix },
	}
	for name, draw := range other {
		if bytes.Equal(a.Pix, draw()) {
			t.Errorf("another %s drew the same picture", name)
		}
	}
	ink := 0
	for _, c := range a.Pix {
		if c != 0 {
			ink++
		}
	}
	if ink < len(a.Pix)/20 {
		t.Errorf("only %d of %d pixels drawn", ink, len(a.Pix))
	}
}

// BenchmarkDraw: the portal's captcha, drawn here and by the library.
//
//	go test -run '^$' -bench Draw ./server/captchaimage/
func BenchmarkDraw(b *testing.B) {
	digits := []byte{3, 1, 4, 1, 5}
	b.Run("captchaimage", func(b *testing.B) {
		for b.Loop() {
			Draw(libraryKey[:], "AAAAAAAAAAAAAAAAAAAA", digits, 200, 70)
		}
	})
	b.Run("library", func(b *testing.B) {
		for b.Loop() {
			captcha.NewImage("AAAAAAAAAAAAAAAAAAAA", digits, 200, 70)
		}
	})
}
