package main

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"

	"consult/store"
)

type homeItem struct {
	store.Consultation
	Status   windowStatus
	Feedback bool // a feedback report is published
}

// home lists the consultations with their windows and status.
func (a *app) home(c echo.Context) error {
	list, err := a.store.ListConsultations(c.Request().Context())
	if err != nil {
		return err
	}
	now := a.now()
	items := make([]homeItem, len(list))
	for i, cs := range list {
		items[i] = homeItem{Consultation: cs, Status: statusAt(now, cs.OpensAt, cs.ClosesAt)}
		if _, err := a.store.LatestFeedback(c.Request().Context(), cs.ID); err == nil {
			items[i].Feedback = true
		} else if !isNotFound(err) {
			return err
		}
	}
	return a.render(c, http.StatusOK, "home", "首页", items)
}

// tocChapter is a chapter (or the articles without a chapter) in the table of contents.
type tocChapter struct {
	Section  *store.Section
	Articles []*store.Section
}

type draftView struct {
	C        *store.Consultation
	Status   windowStatus
	Preamble *store.Section
	Chapters []tocChapter
	Counts   map[string]int
	Total    int
	MaxCount int                   // the most comments any section has, for the heat scale
	Feedback *store.FeedbackReport // the latest published feedback report, if any
	BaseURL  string
	Rev      revisionBanner // which revision is shown (server/changes.go)
}

// draftRefresh is how often, at most, a draft page is re-rendered while comments
// arrive: new counts show up to this late, and the page never stops being served
// from memory.
const draftRefresh = 2 * time.Second

// draftShow is the published draft, served from the page cache. A new comment or
// decision does not invalidate the page: it goes on being served while one background
// render per reading-settings variant refreshes it, at most every a.draftRefresh. A
// changed text or window, or the page's expiry, renders it before serving (one render
// per variant; concurrent requests wait for it).
func (a *app) draftShow(c echo.Context) error {
	slug := c.Param("slug")
	p := prefsFrom(c)
	rev, ok := revParam(c.QueryParam("rev"))
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "没有这一稿。")
	}
	key := slug + "|" + p.cookieValue() + "|" + itoa(rev)
	now := a.now()
	render := func() (*cachedPage, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return a.renderDraft(ctx, slug, p, rev)
	}
	if page := a.drafts.lookup(key); page != nil && page.draftGen == a.draftGen.Load() && now.Before(page.expires) {
		if page.gen != a.gen.Load() && time.Since(page.rendered) >= a.draftRefresh {
			a.drafts.refresh(key, render, func(err error) {
				a.log.Error("draft page refresh", "slug", slug, "err", err)
			})
		}
		return page.serve(c)
	}
	page, err := a.drafts.render(key, render)
	if err != nil {
		return err
	}
	return page.serve(c)
}

// renderDraft renders the draft page of slug for reading settings p, with the
// generations read before the data so a change during the render makes it stale.
func (a *app) renderDraft(ctx context.Context, slug string, p prefs, rev int) (*cachedPage, error) {
	gen, draftGen := a.gen.Load(), a.draftGen.Load()
	a.draftRenders.Add(1)
	now := a.now()
	cs, err := a.store.ConsultationBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	banner, cs, err := a.revisionShown(ctx, cs, rev)
	if err != nil {
		return nil, err
	}
	secs, err := a.store.RevisionSections(ctx, cs.ID, banner.Number)
	if err != nil {
		return nil, err
	}
	counts, err := a.store.RevisionCommentCounts(ctx, cs.ID, banner.Number)
	if err != nil {
		return nil, err
	}
	v := draftView{C: cs, Status: statusAt(now, cs.OpensAt, cs.ClosesAt), Counts: counts, BaseURL: a.cfg.Server.BaseURL, Rev: banner}
	for anchor, n := range counts {
		v.Total += n
		if anchor != "general" && n > v.MaxCount {
			v.MaxCount = n
		}
	}
	if fb, err := a.store.LatestFeedback(ctx, cs.ID); err == nil {
		v.Feedback = fb
	} else if !isNotFound(err) {
		return nil, err
	}
	byPos := map[int]int{} // chapter position -> index in v.Chapters
	for i := range secs {
		s := &secs[i]
		switch s.Kind {
		case "preamble":
			v.Preamble = s
		case "chapter":
			byPos[s.Position] = len(v.Chapters)
			v.Chapters = append(v.Chapters, tocChapter{Section: s})
		case "article":
			idx, ok := byPos[s.Parent]
			if !ok {
				if len(v.Chapters) == 0 || v.Chapters[len(v.Chapters)-1].Section != nil {
					v.Chapters = append(v.Chapters, tocChapter{})
				}
				idx = len(v.Chapters) - 1
			}
			v.Chapters[idx].Articles = append(v.Chapters[idx].Articles, s)
		}
	}
	body, err := a.renderBytes("draft", strings.ReplaceAll(cs.Title, "\n", ""), p, "/c/"+slug, "", v)
	if err != nil {
		return nil, err
	}
	// The status (征集中/已结束) changes at the window's edges: expire there too.
	expires := now.Add(pageTTL)
	for _, t := range []time.Time{cs.OpensAt, cs.ClosesAt} {
		if t.After(now) && t.Before(expires) {
			expires = t
		}
	}
	return newCachedPage(body, gen, draftGen, time.Now(), expires)
}

var qrCache sync.Map // slug -> []byte (SVG)

// draftQR draws a QR code of the draft page's own URL as SVG, on the server.
func (a *app) draftQR(c echo.Context) error {
	slug := c.Param("slug")
	if _, err := a.store.ConsultationBySlug(c.Request().Context(), slug); err != nil {
		return err
	}
	svg, ok := qrCache.Load(slug)
	if !ok {
		b, err := qrSVG(a.cfg.Server.BaseURL + "/c/" + slug)
		if err != nil {
			return err
		}
		svg, _ = qrCache.LoadOrStore(slug, b)
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.Blob(http.StatusOK, "image/svg+xml", svg.([]byte))
}

// qrSVG renders content as a QR code: one path of unit squares, crisp at any size.
func qrSVG(content string) ([]byte, error) {
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	bm := q.Bitmap()
	n := len(bm)
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `)
	b.WriteString(itoa(n) + " " + itoa(n))
	b.WriteString(`" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="`)
	for y, row := range bm {
		for x, dark := range row {
			if dark {
				b.WriteString("M" + itoa(x) + " " + itoa(y) + "h1v1h-1z")
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return []byte(b.String()), nil
}

// heat places a count on a quiet five-step scale (0–4) relative to the busiest section.
func heat(n, max int) int {
	if n <= 0 || max <= 0 {
		return 0
	}
	h := (4*n + max - 1) / max
	if h > 4 {
		h = 4
	}
	return h
}

func init() { funcs["heat"] = heat }
