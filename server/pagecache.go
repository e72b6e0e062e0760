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
	plain    []byte
	gz       []byte
	etag     string
	gen      uint64    // app.gen (counts, feedback links) when the render began
	draftGen uint64    // app.draftGen (text, windows) when the render began
	rendered time.Time // wall clock (time.Now), for the refresh interval
	expires  time.Time // on the app's clock (a.now)
}

// pageCache holds rendered pages by key (page + reading settings) and runs at most
// one render at a time per key: concurrent misses wait for the render in flight, and
// a stale page keeps being served while a single background render replaces it. It is
// bounded: when full it starts again empty, which only costs re-rendering.
type pageCache struct {
	mu      sync.Mutex
	entries map[string]*cachedPage
	flights map[string]*pageFlight
}

// pageFlight is a render in progress.
type pageFlight struct {
	done chan struct{}
	page *cachedPage
	err  error
}

const pageCacheMax = 512

// pageTTL bounds how stale time-dependent text ("N 天后截止") can get.
const pageTTL = time.Minute

func newPageCache() *pageCache {
	return &pageCache{entries: map[string]*cachedPage{}, flights: map[string]*pageFlight{}}
}

// lookup returns the page kept for key, fresh or not, or nil.
func (pc *pageCache) lookup(key string) *cachedPage {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return pc.entries[key]
}

// render runs fn for key and keeps its page, or, when a render of key is already in
// flight, waits for that one instead.
func (pc *pageCache) render(key string, fn func() (*cachedPage, error)) (*cachedPage, error) {
	pc.mu.Lock()
	if f := pc.flights[key]; f != nil {
		pc.mu.Unlock()
		<-f.done
		return f.page, f.err
	}
	f := pc.start(key)
	pc.mu.Unlock()
	pc.run(key, f, fn)
	return f.page, f.err
}

// refresh starts fn in the background unless a render of key is in flight.
func (pc *pageCache) refresh(key string, fn func() (*cachedPage, error), onErr func(error)) {
	pc.mu.Lock()
	if pc.flights[key] != nil {
		pc.mu.Unlock()
		return
	}
	f := pc.start(key)
	pc.mu.Unlock()
	go func() {
		pc.run(key, f, fn)
		if f.err != nil {
			onErr(f.err)
		}
	}()
}

// start registers a flight for key; pc.mu is held.
func (pc *pageCache) start(key string) *pageFlight {
	f := &pageFlight{done: make(chan struct{})}
	pc.flights[key] = f
	return f
}

func (pc *pageCache) run(key string, f *pageFlight, fn func() (*cachedPage, error)) {
	f.page, f.err = fn()
	pc.mu.Lock()
	delete(pc.flights, key)
	if f.err == nil {
		if len(pc.entries) >= pageCacheMax {
			pc.entries = map[string]*cachedPage{}
		}
		pc.entries[key] = f.page
	}
	pc.mu.Unlock()
	close(f.done)
}

func newCachedPage(plain []byte, gen, draftGen uint64, rendered, expires time.Time) (*cachedPage, error) {
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
	return &cachedPage{plain: plain, gz: buf.Bytes(), etag: `"` + hex.EncodeToString(sum[:12]) + `"`,
		gen: gen, draftGen: draftGen, rendered: rendered, expires: expires}, nil
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
