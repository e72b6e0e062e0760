package main

// BenchmarkCaptchaImage draws and encodes one captcha image, as GET
// /captcha/{id}/image.png does for every form shown with the captcha on:
//
//   - library: the library's own Image.WriteTo (zlib's default level, a new compressor
//     per image), what the portal did before session 8;
//   - library-draw: the library's drawing and the portal's encoder (fastest level,
//     pooled compressors), what it did in sessions 8 and 9;
//   - portal: what captchaImage does (server/captcha.go: the same pixels drawn by
//     server/captchaimage, the same encoder);
//   - draw-only: server/captchaimage's drawing alone, the floor of any encoding.
//
//	go test -tags sqlite_fts5 -run '^$' -bench CaptchaImage -benchmem ./server/

import (
	"bytes"
	"testing"

	"consult/server/captchaimage"
	"github.com/dchest/captcha"
)

func BenchmarkCaptchaImage(b *testing.B) {
	id := "AAAAAAAAAAAAAAAAAAAA"
	digits := []byte{3, 1, 4, 1, 5} // store.CaptchaLen digits, as served
	b.Run("library", func(b *testing.B) {
		for b.Loop() {
			var buf bytes.Buffer
			if _, err := captcha.NewImage(id, digits, 200, 70).WriteTo(&buf); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(buf.Len()))
		}
	})
	b.Run("library-draw", func(b *testing.B) {
		for b.Loop() {
			var buf bytes.Buffer
			if err := captchaPNG.Encode(&buf, captcha.NewImage(id, digits, 200, 70).Paletted); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(buf.Len()))
		}
	})
	key := make([]byte, 32)
	b.Run("portal", func(b *testing.B) {
		for b.Loop() {
			var buf bytes.Buffer
			if err := captchaPNG.Encode(&buf, captchaimage.Draw(key, id, digits, 200, 70)); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(buf.Len()))
		}
	})
	b.Run("draw-only", func(b *testing.B) {
		for b.Loop() {
			captchaimage.Draw(key, id, digits, 200, 70)
		}
	})
}
