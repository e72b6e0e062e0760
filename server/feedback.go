package main

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"consult/store"
)

// publicStatuses are the decisions the report lists comment by comment, in order.
var publicStatuses = []string{store.StatusAdopted, store.StatusPartial, store.StatusRejected, store.StatusExplained}

type feedbackGroup struct {
	Status string
	Items  []store.FeedbackItem
	Count  int
}

type feedbackSection struct {
	Revision int            // the revision the comments were written on (named when the draft was revised)
	Named    bool           // the draft was revised: say which revision
	Section  *store.Section // nil: comments on the draft as a whole
	Total    int
	Groups   []feedbackGroup
	Pending  int // still being studied when the report was published
	Other    int // judged duplicate or invalid
}

type feedbackView struct {
	D            *draftData
	Report       *store.FeedbackReport // nil in the officers' preview
	FirstAt      time.Time
	Revisions    int
	Preview      bool
	Summary      string
	Participants int
	Comments     int
	Sections     []feedbackSection
	Round        int   // only the comments on this revision (0: every round)
	Rounds       []int // the revisions, when the draft was revised
}

// buildFeedback arranges items by section in document order and by decision; a
// revised draft's rounds one after another, each against its own revision's text.
func buildFeedback(d *draftData, items []store.FeedbackItem) []feedbackSection {
	bySection := map[string]*feedbackSection{}
	var order []string
	for _, rev := range d.RevisionNumbers() {
		keys := []string{exportKey(rev, "general")}
		secs := d.SectionsOf(rev)
		for _, s := range secs {
			keys = append(keys, exportKey(rev, s.Anchor))
		}
		for i, k := range keys {
			fs := &feedbackSection{Revision: rev, Named: d.Revised()}
			if i > 0 {
				fs.Section = &secs[i-1]
			}
			for _, st := range publicStatuses {
				fs.Groups = append(fs.Groups, feedbackGroup{Status: st})
			}
			bySection[k] = fs
		}
		order = append(order, keys...)
	}
	for _, it := range items {
		fs := bySection[exportKey(it.DraftRevision, it.SectionAnchor)]
		if fs == nil {
			continue
		}
		fs.Total += it.Count
		switch it.Status {
		case store.StatusPending:
			fs.Pending += it.Count
			continue
		case store.StatusDuplicate, store.StatusInvalid:
			fs.Other += it.Count
			continue
		}
		for i := range fs.Groups {
			if fs.Groups[i].Status == it.Status {
				fs.Groups[i].Items = append(fs.Groups[i].Items, it)
				fs.Groups[i].Count += it.Count
			}
		}
	}
	var out []feedbackSection
	for _, a := range order {
		if fs := bySection[a]; fs.Total > 0 {
			out = append(out, *fs)
		}
	}
	return out
}

// feedbackShow is the published report: GET /c/{slug}/feedback.
func (a *app) feedbackShow(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := a.loadDraft(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	reports, err := a.store.FeedbackReports(ctx, d.C.ID)
	if err != nil {
		return err
	}
	if len(reports) == 0 {
		return a.feedbackPending(c, d)
	}
	r := reports[0]
	// A published revision never changes: its page is rendered once per reading
	// settings and served from memory (reading every item per request would grow with
	// the comments).
	p := prefsFrom(c)
	round := feedbackRound(c, d)
	key := "feedback|" + d.C.Slug + "|" + strconv.FormatInt(r.ID, 10) + "|" + strconv.FormatUint(d.gen, 10) + "|" + p.cookieValue() + "|" + strconv.Itoa(round)
	if page := a.drafts.lookup(key); page != nil {
		return page.serve(c)
	}
	page, err := a.drafts.render(key, func() (*cachedPage, error) {
		items, err := a.store.FeedbackItems(context.WithoutCancel(ctx), r.ID)
		if err != nil {
			return nil, err
		}
		v := feedbackView{D: d, Report: &r, FirstAt: reports[len(reports)-1].PublishedAt, Revisions: len(reports),
			Summary: r.Summary, Participants: r.Participants, Comments: r.Comments, Sections: buildFeedback(d, roundItems(items, round)),
			Round: round}
		if d.Revised() {
			v.Rounds = d.RevisionNumbers()
		}
		body, err := a.renderBytes("feedback", "意见采纳情况", p, c.Request().URL.Path, "", v)
		if err != nil {
			return nil, err
		}
		return newCachedPage(body, 0, 0, time.Now(), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	})
	if err != nil {
		return err
	}
	return page.serve(c)
}

type feedbackPendingView struct {
	C      *store.Consultation
	Status windowStatus
	Total  int
}

// feedbackPending answers /c/{slug}/feedback before any report is published: when
// comment closed (or closes) and that the report will appear here.
func (a *app) feedbackPending(c echo.Context, d *draftData) error {
	counts, err := a.store.CommentCounts(c.Request().Context(), d.C.ID)
	if err != nil {
		return err
	}
	v := feedbackPendingView{C: d.C, Status: statusAt(a.now(), d.C.OpensAt, d.C.ClosesAt)}
	for _, n := range counts {
		v.Total += n
	}
	return a.render(c, http.StatusOK, "feedback_pending", "意见采纳情况尚未公布", v)
}

// feedbackPreview shows officers the exact public page the next revision would publish.
func (a *app) feedbackPreview(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := a.loadDraft(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	items, err := a.store.LiveFeedbackItems(ctx, d.C.ID)
	if err != nil {
		return err
	}
	summary, err := a.store.FeedbackDraft(ctx, d.C.ID)
	if err != nil {
		return err
	}
	round := feedbackRound(c, d)
	items = roundItems(items, round)
	v := feedbackView{D: d, Preview: true, Summary: summary, Sections: buildFeedback(d, items), Round: round}
	if d.Revised() {
		v.Rounds = d.RevisionNumbers()
	}
	for _, it := range items {
		v.Comments += it.Count
	}
	if v.Participants, err = a.store.Participants(ctx, d.C.ID); err != nil {
		return err
	}
	return a.render(c, http.StatusOK, "feedback", "意见采纳情况(预览)", v)
}

type feedbackComposeView struct {
	D         *draftData
	Summary   string
	Reports   []store.FeedbackReport
	Counts    map[string]int
	Total     int
	CanWrite  bool
	Published bool
	Saved     bool
	// Version is the draft's version the form is for; Conflict, on a 409, is the draft
	// as another officer saved it; Error is a message for the whole form (503).
	Version  int64
	Conflict *store.FeedbackDraftState
	Error    string
}

// feedbackCompose is where officers write the summary and publish.
func (a *app) feedbackCompose(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := a.loadDraft(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	v := feedbackComposeView{D: d, CanWrite: canDecideRole(sessionFrom(c).User.Role),
		Published: c.QueryParam("published") == "1", Saved: c.QueryParam("saved") == "1"}
	st, err := a.store.FeedbackDraftFull(ctx, d.C.ID)
	if err != nil {
		return err
	}
	v.Summary, v.Version = st.Summary, st.Version
	return a.renderFeedbackCompose(c, http.StatusOK, v)
}

func (a *app) renderFeedbackCompose(c echo.Context, status int, v feedbackComposeView) error {
	ctx := c.Request().Context()
	d := v.D
	var err error
	if v.Reports, err = a.store.FeedbackReports(ctx, d.C.ID); err != nil {
		return err
	}
	if v.Counts, err = a.store.StatusCounts(ctx, d.C.ID); err != nil {
		return err
	}
	for _, n := range v.Counts {
		v.Total += n
	}
	return a.render(c, status, "admin_feedback", "意见采纳情况", v)
}

// feedbackSave stores the summary; with publish=1 it then publishes a new revision.
func (a *app) feedbackSave(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := a.loadDraft(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	summary := normalizeText(c.FormValue("summary"))
	err = a.store.SaveFeedbackDraftVersion(ctx, a.actor(c), d.C.ID, summary, formVersion(c, "version"))
	if ce := store.AsConflict(err); ce != nil && ce.Draft != nil {
		// Another officer saved the draft since this form was shown: keep this text in
		// the field, show theirs, and let a second click save over it. Nothing is published.
		v := feedbackComposeView{D: d, CanWrite: true, Summary: summary, Version: ce.Draft.Version, Conflict: ce.Draft}
		return a.renderFeedbackCompose(c, http.StatusConflict, v)
	}
	if a.writeFailed(err) {
		v := feedbackComposeView{D: d, CanWrite: true, Summary: summary, Version: formVersion(c, "version"), Error: unavailableText}
		return a.renderFeedbackCompose(c, http.StatusServiceUnavailable, v)
	}
	if err != nil {
		return err
	}
	if c.FormValue("publish") != "1" {
		return c.Redirect(http.StatusSeeOther, "/admin/c/"+d.C.Slug+"/feedback?saved=1")
	}
	if _, err := a.store.PublishFeedback(ctx, a.actor(c), d.C.ID, a.now()); err != nil {
		return err
	}
	a.draftGen.Add(1) // the draft page links to the report: render it before serving again
	return c.Redirect(http.StatusSeeOther, "/admin/c/"+d.C.Slug+"/feedback?published=1")
}

// publishedDecision returns what the latest report says about a comment, or nil.
func (a *app) publishedDecision(c echo.Context, cm *store.Comment) (*store.PublishedDecision, error) {
	pd, err := a.store.PublishedDecisionFor(c.Request().Context(), cm.ConsultationID, cm.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return pd, err
}

func (a *app) feedbackRoutes(e *echo.Echo, adm *echo.Group) {
	e.GET("/c/:slug/feedback", a.feedbackShow)
	e.GET("/c/:slug/feedback.xlsx", a.feedbackXLSX)
	adm.GET("/c/:slug/feedback", a.feedbackCompose, a.requireRole(anyRole...))
	adm.POST("/c/:slug/feedback", a.feedbackSave, a.requireRole(canDecide...))
	adm.GET("/c/:slug/feedback/preview", a.feedbackPreview, a.requireRole(anyRole...))
}

func init() {
	funcs["publicStatuses"] = func() []string { return publicStatuses }
}

// feedbackRound reads ?rev=N: the report of one round only (0: every round).
func feedbackRound(c echo.Context, d *draftData) int {
	r, err := strconv.Atoi(c.QueryParam("rev"))
	if err != nil || r < 1 || r > d.C.DraftRevision {
		return 0
	}
	return r
}

// roundItems keeps the items of one round (all for 0).
func roundItems(items []store.FeedbackItem, round int) []store.FeedbackItem {
	if round == 0 {
		return items
	}
	var out []store.FeedbackItem
	for _, it := range items {
		if it.DraftRevision == round {
			out = append(out, it)
		}
	}
	return out
}
