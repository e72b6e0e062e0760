package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// cachedPage is a rendered page kept in memory with its gzip form, so the hot path
// (the draft page) costs a map look-up and a write, not a render and a compression.
type cachedPage struct {
	plain   []byte
	gz      []byte
	etag    string
	gen     uint64
	expires time.Time
}

// pageCache holds rendered pages by key (page + reading settings). It is bounded: when
// full it starts again empty, which only costs re-rendering.
type pageCache struct {
	mu      sync.RWMutex
	entries map[string]*cachedPage
}

const pageCacheMax = 512

// pageTTL bounds how stale time-dependent text ("N 天后截止") can get.
const pageTTL = time.Minute

func newPageCache() *pageCache { return &pageCache{entries: map[string]*cachedPage{}} }

func (pc *pageCache) get(key string, gen uint64, now time.Time) *cachedPage {
	pc.mu.RLock()
	p := pc.entries[key]
	pc.mu.RUnlock()
	if p == nil || p.gen != gen || now.After(p.expires) {
		return nil
	}
	return p
}

func (pc *pageCache) put(key string, p *cachedPage) {
	pc.mu.Lock()
	if len(pc.entries) >= pageCacheMax {
		pc.entries = map[string]*cachedPage{}
	}
	pc.entries[key] = p
	pc.mu.Unlock()
}

func newCachedPage(plain []byte, gen uint64, expires time.Time) (*cachedPage, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(plain); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(plain)
	return &cachedPage{plain: plain, gz: buf.Bytes(), etag: `"` + hex.EncodeToString(sum[:12]) + `"`, gen: gen, expires: expires}, nil
}

// serve writes the page, compressed when the client accepts gzip, or 304 when the
// client's copy is current.
func (p *cachedPage) serve(c echo.Context) error {
	h := c.Response().Header()
	h.Set("Content-Type", echo.MIMETextHTMLCharsetUTF8)
	h.Set("Cache-Control", "no-cache")
	h.Set("Vary", "Accept-Encoding, Cookie")
	h.Set("ETag", p.etag)
	if c.Request().Header.Get("If-None-Match") == p.etag {
		return c.NoContent(http.StatusNotModified)
	}
	if acceptsGzip(c.Request().Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		return c.Blob(http.StatusOK, echo.MIMETextHTMLCharsetUTF8, p.gz)
	}
	return c.Blob(http.StatusOK, echo.MIMETextHTMLCharsetUTF8, p.plain)
}

func acceptsGzip(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") || strings.TrimSpace(name) == "*" {
			return !strings.Contains(strings.ReplaceAll(params, " ", ""), "q=0") ||
				strings.Contains(params, "q=0.")
		}
	}
	return false
}
