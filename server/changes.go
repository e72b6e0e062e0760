package main

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"consult/server/revdiff"
	"consult/store"
)

// revisionBanner says which revision of a draft a page shows and which is current.
type revisionBanner struct {
	Number    int // the revision shown
	Current   int // the revision on show
	Revisions []store.Revision
}

// Old says whether the page shows an earlier revision than the current one.
func (b revisionBanner) Old() bool { return b.Number < b.Current }

// Name is the shown revision's name (第一稿, 修改稿 …).
func (b revisionBanner) Name() string { return store.RevisionName(b.Number) }

// CurrentName is the current revision's name.
func (b revisionBanner) CurrentName() string { return store.RevisionName(b.Current) }

// Shown is the shown revision.
func (b revisionBanner) Shown() store.Revision { return b.Revisions[b.Number-1] }

// revParam parses ?rev= (empty: the current revision, 0).
func revParam(s string) (int, bool) {
	if s == "" {
		return 0, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1 && n < 1000
}

// revisionShown resolves the revision a draft page shows (0: the current one). For an
// earlier revision it returns a copy of the consultation with that revision's title
// and window, so the page reads as it did then.
func (a *app) revisionShown(ctx context.Context, cs *store.Consultation, rev int) (revisionBanner, *store.Consultation, error) {
	b := revisionBanner{Number: cs.DraftRevision, Current: cs.DraftRevision}
	if cs.DraftRevision > 1 || rev > 1 {
		revs, err := a.store.Revisions(ctx, cs.ID)
		if err != nil {
			return b, nil, err
		}
		b.Revisions = revs
	} else {
		b.Revisions = []store.Revision{{Number: 1, Title: cs.Title, OpensAt: cs.OpensAt, ClosesAt: cs.ClosesAt}}
	}
	if rev == 0 || rev == cs.DraftRevision {
		return b, cs, nil
	}
	if rev > len(b.Revisions) {
		return b, nil, echo.NewHTTPError(http.StatusNotFound, "没有这一稿。")
	}
	b.Number = rev
	r := b.Revisions[rev-1]
	old := *cs
	old.Title, old.OpensAt, old.ClosesAt = r.Title, r.OpensAt, r.ClosesAt
	return b, &old, nil
}

type changesView struct {
	Only    bool // only the rows that changed (?only=changed)
	C       *store.Consultation
	Cmp     *comparison
	Revs    []store.Revision
	Current int
}

// changesShow is the public 修改前后对照表 of two revisions: /c/{slug}/changes
// (the current against the one before) or ?from=1&to=2.
// Like the draft page it is rendered once per (pair, reading settings) and served from
// memory until a comment, a feedback report, a revision or a minute changes it.
func (a *app) changesShow(c echo.Context) error {
	ctx := c.Request().Context()
	from, okF := revParam(c.QueryParam("from"))
	to, okT := revParam(c.QueryParam("to"))
	if !okF || !okT {
		return echo.NewHTTPError(http.StatusNotFound, "没有这一稿。")
	}
	only := c.QueryParam("only") == "changed"
	p := prefsFrom(c)
	key := "changes|" + c.Param("slug") + "|" + itoa(from) + "|" + itoa(to) + "|" + p.cookieValue()
	if only {
		key += "|only"
	}
	now := a.now()
	gen := a.gen.Load() + a.draftGen.Load()
	if page := a.drafts.lookup(key); page != nil && page.gen == gen && now.Before(page.expires) {
		return page.serve(c)
	}
	ctx = context.WithoutCancel(ctx)
	page, err := a.drafts.render(key, func() (*cachedPage, error) {
		cs, err := a.store.ConsultationBySlug(ctx, c.Param("slug"))
		if err != nil {
			return nil, err
		}
		if cs.DraftRevision < 2 {
			return nil, echo.NewHTTPError(http.StatusNotFound, "本征求意见稿尚无修改稿,暂无修改前后对照。")
		}
		cmp, revs, err := a.loadComparison(ctx, cs, from, to)
		if errors.Is(err, errNoRevision) {
			return nil, echo.NewHTTPError(http.StatusNotFound, "没有这两稿之间的对照。")
		}
		if err != nil {
			return nil, err
		}
		title := strings.ReplaceAll(cmp.To.Title, "\n", "") + " 修改前后对照表"
		if only {
			kept := cmp.Rows[:0:0]
			for _, r := range cmp.Rows {
				if r.Type != revdiff.Unchanged {
					kept = append(kept, r)
				}
			}
			cmp.Rows = kept
		}
		body, err := a.renderBytes("changes", title, p, c.Request().URL.Path, "", changesView{C: cs, Cmp: cmp, Revs: revs, Current: cs.DraftRevision, Only: only})
		if err != nil {
			return nil, err
		}
		return newCachedPage(body, gen, 0, time.Now(), now.Add(pageTTL))
	})
	if err != nil {
		return err
	}
	return page.serve(c)
}
