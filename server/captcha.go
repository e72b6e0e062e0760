package main

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"consult/server/captchaimage"
	"github.com/dchest/captcha"
	"github.com/labstack/echo/v4"
)

var captchaIDRE = regexp.MustCompile(`^[A-Z2-7]{20}$`)

// newCaptcha issues a captcha. It writes nothing: the id carries its issue time and
// the answer is derived from it with the database's secret (store/captcha.go), so
// showing a form costs no write and the captcha works behind several instances.
func (a *app) newCaptcha() string { return a.store.NewCaptchaID(a.now()) }

// checkCaptcha reports whether answer is right for a live captcha. A wrong answer
// uses the captcha up (each captcha can be tried once); a right one is used up by
// the transaction that stores the comment (store.CreateCommentWithCaptcha).
func (a *app) checkCaptcha(ctx context.Context, id, answer string) (bool, error) {
	if !captchaIDRE.MatchString(id) {
		return false, nil
	}
	digits, err := a.store.CaptchaDigits(id, a.now())
	if err != nil {
		return false, nil // malformed or expired
	}
	if normalizeCaptcha(answer) == digits {
		return true, nil
	}
	return false, a.store.BurnCaptcha(ctx, id, a.now())
}

func (a *app) captchaDigits(c echo.Context) ([]byte, error) {
	id := c.Param("id")
	if !captchaIDRE.MatchString(id) {
		return nil, echo.ErrNotFound
	}
	s, err := a.store.CaptchaDigits(id, a.now())
	if err != nil {
		return nil, err
	}
	d := make([]byte, len(s))
	for i := range s {
		d[i] = s[i] - '0'
	}
	return d, nil
}

// captchaPNG encodes captcha images. Every form shown with the captcha on loads one,
// so it uses zlib's fastest level and reuses its compressors: the library's own
// WriteTo (default level, a fresh 1 MB compressor per image) took about three times
// the CPU, and under load its garbage more again, for a fifth fewer bytes (about
// 1.2 KB against 1.5 KB; BenchmarkCaptchaImage). The pixels are the library's
// (TestCaptchaImageAudioAndRefresh).
var captchaPNG = png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &pngBuffers{}}

// pngBuffers is a png.EncoderBufferPool safe for concurrent requests.
type pngBuffers struct{ p sync.Pool }

func (b *pngBuffers) Get() *png.EncoderBuffer {
	e, _ := b.p.Get().(*png.EncoderBuffer)
	return e // nil makes the encoder allocate one
}

func (b *pngBuffers) Put(e *png.EncoderBuffer) { b.p.Put(e) }

// captchaImage draws the captcha as a PNG: the library's drawing, seeded from the
// database's secret and at a fifth of the CPU (server/captchaimage).
func (a *app) captchaImage(c echo.Context) error {
	d, err := a.captchaDigits(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := captchaPNG.Encode(&buf, captchaimage.Draw(a.captchaImageKey, c.Param("id"), d, 200, 70)); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "image/png", buf.Bytes())
}

// captchaAudio speaks the captcha's digits in Chinese, for people who cannot see it.
func (a *app) captchaAudio(c echo.Context) error {
	d, err := a.captchaDigits(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := captcha.NewAudio(c.Param("id"), d, "zh").WriteTo(&buf); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if strings.EqualFold(c.QueryParam("download"), "1") {
		c.Response().Header().Set("Content-Disposition", `attachment; filename="captcha.wav"`)
	}
	return c.Blob(http.StatusOK, "audio/wav", buf.Bytes())
}
