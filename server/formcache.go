package main

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"html/template"
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// The comment form page is the same for everyone who opens the same section with the
// same reading settings while the window is in the same state, except for three
// values: the CSRF token, the form key and the captcha id. formPage keeps that page
// rendered once, cut at those three places, with each fixed piece deflated ahead of
// time. A request fills in the three values and, for a client that accepts gzip,
// sends the pre-deflated pieces with the values as stored deflate blocks between
// them, in one gzip member: no template, no compressor, no database read.
type formPage struct {
	parts []formPart
}

// formPart is a fixed piece of the page followed by a value slot (or none, last).
type formPart struct {
	plain []byte
	defl  []byte // plain as raw deflate blocks, ending byte-aligned, none final
	slot  int    // slotNone, slotCSRF, slotFormKey, slotCaptcha
}

const (
	slotNone = iota
	slotCSRF
	slotFormKey
	slotCaptcha
)

// formMarks are the placeholders rendered in place of the per-request values:
// letters and digits only (no template escaping changes them), random per process
// (no draft text can contain them).
var formMarks = func() [4]string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	r := hex.EncodeToString(b[:])
	return [4]string{"", "Zcsrf" + r + "Z", "Zfkey" + r + "Z", "Zcapt" + r + "Z"}
}()

type formCache struct {
	mu sync.Mutex
	m  map[string]*formPage
}

const formCacheMax = 1024

// formCacheKey names everything the fixed pieces depend on.
func (a *app) formCacheKey(d *draftData, v *commentFormView, p prefs) string {
	return strings.Join([]string{d.C.Slug, itoa(int(d.gen)), v.Form.Section, p.cookieValue(), v.Status.State, v.Status.Label,
		boolKey(v.CaptchaEnabled && v.CaptchaID != ""), boolKey(v.RequireName), boolKey(v.RequireContact)}, "|")
}

func boolKey(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// serveCachedForm sends a fresh form page (status 200) built from the cached pieces.
func (a *app) serveCachedForm(c echo.Context, d *draftData, v commentFormView, title string) error {
	p := prefsFrom(c)
	key := a.formCacheKey(d, &v, p)
	a.forms.mu.Lock()
	fp := a.forms.m[key]
	a.forms.mu.Unlock()
	if fp == nil {
		tv := v
		tv.Form.FormKey = formMarks[slotFormKey]
		if tv.CaptchaID != "" {
			tv.CaptchaID = formMarks[slotCaptcha]
		}
		body, err := a.renderBytes("comment_form", title, p, c.Request().URL.Path, formMarks[slotCSRF], tv)
		if err != nil {
			return err
		}
		if fp, err = newFormPage(body); err != nil {
			return err
		}
		a.forms.mu.Lock()
		if a.forms.m == nil || len(a.forms.m) >= formCacheMax {
			a.forms.m = map[string]*formPage{}
		}
		a.forms.m[key] = fp
		a.forms.mu.Unlock()
	}
	csrf, _ := c.Get("csrf").(string)
	// Escaped as the template would: the CSRF token comes from a cookie.
	vals := [4]string{"", template.HTMLEscapeString(csrf), template.HTMLEscapeString(v.Form.FormKey), template.HTMLEscapeString(v.CaptchaID)}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Accept-Encoding")
	if acceptsGzip(c.Request().Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		return c.Blob(http.StatusOK, echo.MIMETextHTMLCharsetUTF8, fp.gzip(&vals))
	}
	return c.Blob(http.StatusOK, echo.MIMETextHTMLCharsetUTF8, fp.plain(&vals))
}

// newFormPage cuts a rendered page at the placeholders and deflates the pieces.
func newFormPage(body []byte) (*formPage, error) {
	fp := &formPage{}
	for len(body) > 0 {
		at, slot := len(body), slotNone
		for s := slotCSRF; s <= slotCaptcha; s++ {
			if i := bytes.Index(body, []byte(formMarks[s])); i >= 0 && i < at {
				at, slot = i, s
			}
		}
		part := formPart{plain: body[:at], slot: slot}
		var buf bytes.Buffer
		zw, err := flate.NewWriter(&buf, flate.BestCompression)
		if err != nil {
			return nil, err
		}
		if _, err := zw.Write(part.plain); err != nil {
			return nil, err
		}
		// Flush ends the blocks on a byte boundary without a final block, so pieces
		// and stored blocks can follow.
		if err := zw.Flush(); err != nil {
			return nil, err
		}
		part.defl = buf.Bytes()
		fp.parts = append(fp.parts, part)
		if slot == slotNone {
			break
		}
		body = body[at+len(formMarks[slot]):]
	}
	return fp, nil
}

func (fp *formPage) plain(vals *[4]string) []byte {
	n := 0
	for _, p := range fp.parts {
		n += len(p.plain) + len(vals[p.slot])
	}
	out := make([]byte, 0, n)
	for _, p := range fp.parts {
		out = append(out, p.plain...)
		out = append(out, vals[p.slot]...)
	}
	return out
}

// gzip is the page as one gzip member: header, the pre-deflated pieces with each
// value as a stored block, a final empty stored block, then CRC-32 and length.
func (fp *formPage) gzip(vals *[4]string) []byte {
	n := 10 + 5 + 8
	for _, p := range fp.parts {
		n += len(p.defl) + 5 + len(vals[p.slot])
	}
	out := make([]byte, 0, n)
	out = append(out, 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255) // deflate, no name, no mtime, unknown OS
	var crc uint32
	size := 0
	for _, p := range fp.parts {
		out = append(out, p.defl...)
		crc = crc32.Update(crc, crc32.IEEETable, p.plain) // hardware CRC: microseconds
		size += len(p.plain)
		if v := vals[p.slot]; v != "" {
			out = storedBlock(out, v, false)
			crc = crc32.Update(crc, crc32.IEEETable, []byte(v))
			size += len(v)
		}
	}
	out = storedBlock(out, "", true)
	out = binary.LittleEndian.AppendUint32(out, crc)
	out = binary.LittleEndian.AppendUint32(out, uint32(size))
	return out
}

// storedBlock appends v (at most 65,535 bytes) as a deflate stored block; the
// stream is byte-aligned here, so the 3 header bits are padded to a byte.
func storedBlock(out []byte, v string, final bool) []byte {
	var bfinal byte
	if final {
		bfinal = 1
	}
	n := uint16(len(v))
	out = append(out, bfinal, byte(n), byte(n>>8), ^byte(n), ^byte(n>>8))
	return append(out, v...)
}
