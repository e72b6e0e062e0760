package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"net/http"
	"regexp"
	"strings"

	"github.com/dchest/captcha"
	"github.com/labstack/echo/v4"
)

// captchaLen is the number of digits to read: enough with one try per captcha and
// per-client limits, short enough for older eyes.
const captchaLen = 5

var captchaIDRE = regexp.MustCompile(`^[A-Z2-7]{20}$`)

// newCaptcha makes a captcha and stores its answer in the database, so it survives a
// restart and works behind several server instances.
func (a *app) newCaptcha(ctx context.Context) (string, error) {
	var raw [12]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	id := base32.StdEncoding.EncodeToString(raw[:])[:20]
	digits := captcha.RandomDigits(captchaLen)
	s := make([]byte, len(digits))
	for i, d := range digits {
		s[i] = '0' + d
	}
	if err := a.store.CreateCaptcha(ctx, id, string(s), a.now()); err != nil {
		return "", err
	}
	return id, nil
}

// checkCaptcha uses up the captcha and reports whether the answer was right.
func (a *app) checkCaptcha(ctx context.Context, id, answer string) (bool, error) {
	if !captchaIDRE.MatchString(id) {
		return false, nil
	}
	return a.store.UseCaptcha(ctx, id, normalizeCaptcha(answer), a.now())
}

func (a *app) captchaDigits(c echo.Context) ([]byte, error) {
	id := c.Param("id")
	if !captchaIDRE.MatchString(id) {
		return nil, echo.ErrNotFound
	}
	s, err := a.store.CaptchaDigits(c.Request().Context(), id, a.now())
	if err != nil {
		return nil, err
	}
	d := make([]byte, len(s))
	for i := range s {
		d[i] = s[i] - '0'
	}
	return d, nil
}

// captchaImage draws the captcha as a PNG.
func (a *app) captchaImage(c echo.Context) error {
	d, err := a.captchaDigits(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := captcha.NewImage(c.Param("id"), d, 200, 70).WriteTo(&buf); err != nil {
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
