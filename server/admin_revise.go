package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"consult/store"
)

// The workspace's way to publish a revision (修改稿), as the revise command does:
// paste or upload the text, check the 修改前后对照表 (correcting any pairing), publish.
//
//	GET  /admin/c/{slug}/revise          the form
//	POST /admin/c/{slug}/revise/preview  the comparison, with a pairing to correct
//	POST /admin/c/{slug}/revise/publish  publish (or edit=1: back to the text)

func (a *app) reviseRoutes(g *echo.Group) {
	g.GET("/c/:slug/revise", a.reviseForm, a.requireRole(onlyAdmin...))
	g.POST("/c/:slug/revise/preview", a.revisePreview, a.requireRole(onlyAdmin...))
	g.POST("/c/:slug/revise/publish", a.revisePublish, a.requireRole(onlyAdmin...))
}

// isReviseUpload reports whether a request carries a whole draft to the revise routes
// (for the body limit, as isDraftUpload).
func isReviseUpload(c echo.Context) bool {
	p := c.Path()
	return p == "/admin/c/:slug/revise/preview" || p == "/admin/c/:slug/revise/publish"
}

// reviseFormData is the revise form as typed.
type reviseFormData struct {
	Text     string
	Round    bool   // open a new round of comment
	OpensAt  string // datetime-local, Beijing time
	ClosesAt string
	Reason   string // 修改说明
}

type reviseView struct {
	C      *store.Consultation
	Form   reviseFormData
	Errors map[string]string
	MaxKB  int
	Next   string // the name the revision will have

	// The preview.
	Cmp     *comparison
	Options []pairOption // earlier sections a row of the new text can be paired with
	Length  string
}

// pairOption is an earlier section offered in a row's pairing select.
type pairOption struct {
	Anchor, Kind, Label string
}

func (a *app) reviseView(c echo.Context, f reviseFormData, v *validator) (*reviseView, error) {
	cs, err := a.store.ConsultationBySlug(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return nil, err
	}
	return &reviseView{C: cs, Form: f, Errors: v.FieldErrors, MaxKB: maxDraftBytes >> 10, Next: store.RevisionName(cs.DraftRevision + 1)}, nil
}

// reviseForm is GET /admin/c/{slug}/revise.
func (a *app) reviseForm(c echo.Context) error {
	var v validator
	rv, err := a.reviseView(c, reviseFormData{}, &v)
	if err != nil {
		return err
	}
	return a.render(c, http.StatusOK, "admin_revise", "发布修改稿", rv)
}

func readReviseForm(c echo.Context) reviseFormData {
	return reviseFormData{
		Round:    c.FormValue("round") == "1",
		OpensAt:  strings.TrimSpace(c.FormValue("opens_at")),
		ClosesAt: strings.TrimSpace(c.FormValue("closes_at")),
		Reason:   normalizeText(c.FormValue("reason")),
	}
}

// checkRevise validates the window and the explanation, returning the window.
func checkRevise(f *reviseFormData, v *validator, rv *reviseView) (opens, closes time.Time) {
	v.CheckField(f.Reason != "", "reason", "请填写修改说明:主要修改了哪些内容、为什么修改。")
	v.CheckField(utf8.RuneCountInString(f.Reason) <= 5000, "reason", "修改说明请控制在 5000 字以内。")
	if !f.Round {
		return
	}
	var okO, okC bool
	opens, okO = parseBeijing(f.OpensAt)
	closes, okC = parseBeijing(f.ClosesAt)
	v.CheckField(okO, "opens_at", "请填写第二轮征求意见的开始时间(北京时间),例如 2023-03-01 09:00。")
	v.CheckField(okC, "closes_at", "请填写截止时间(北京时间),例如 2023-04-01 17:00。")
	if okO && okC {
		v.CheckField(closes.After(opens), "closes_at", "截止时间必须晚于开始时间。")
		if closes.After(opens) {
			rv.Length = windowLength(closes.Sub(opens))
			// The 修改说明 doubles as the window's reason, which a period under 30 days needs.
			v.CheckField(closes.Sub(opens) >= minWindow || f.Reason != "", "reason", "征集期为 "+rv.Length+",少于 30 天,须在修改说明中写明理由。")
		}
	}
	return opens, closes
}

// pinsFromForm reads the officer's pairing: for each section of the new text a select
// pair_{anchor} naming the earlier section it continues ("" for new). Only choices
// that differ from the automatic pairing are kept, as pins.
func pinsFromForm(c echo.Context, old, new []store.Section) []store.PairPin {
	auto := compareSections(old, new, nil, nil, nil)
	autoOld := map[string]string{} // new anchor -> first earlier anchor
	for _, r := range auto.Rows {
		for _, s := range r.New {
			if len(r.Old) > 0 {
				autoOld[s.Anchor] = r.Old[0].Anchor
			} else {
				autoOld[s.Anchor] = ""
			}
		}
	}
	oldKind := map[string]string{}
	for _, s := range old {
		oldKind[s.Anchor] = s.Kind
	}
	var pins []store.PairPin
	used := map[string]bool{}
	for _, s := range new {
		vals, ok := c.Request().Form["pair_"+s.Anchor]
		if !ok || len(vals) == 0 {
			continue
		}
		choice := vals[0]
		if choice == autoOld[s.Anchor] {
			continue
		}
		switch {
		case choice == "":
			pins = append(pins, store.PairPin{New: s.Anchor})
		case oldKind[choice] == s.Kind && !used[choice]:
			used[choice] = true
			pins = append(pins, store.PairPin{Old: choice, New: s.Anchor})
		}
	}
	return pins
}

// revisePreview is POST /admin/c/{slug}/revise/preview: the text parsed and compared
// with the revision on show, each pairing correctable.
func (a *app) revisePreview(c echo.Context) error {
	var v validator
	f := readReviseForm(c)
	if c.FormValue("carried") == "1" {
		f.Text = cleanDraftText(strings.ToValidUTF8(c.FormValue("draft_text"), "\uFFFD"))
	} else {
		f.Text = readDraftInput(c, &v)
	}
	rv, err := a.reviseView(c, f, &v)
	if err != nil {
		return err
	}
	var secs []store.Section
	if v.Valid() {
		_, secs, _ = parseDraftText(f.Text, &v)
	}
	if !v.Valid() {
		rv.Errors = v.FieldErrors
		return a.render(c, http.StatusUnprocessableEntity, "admin_revise", "发布修改稿", rv)
	}
	if err := a.fillRevisePreview(c, rv, secs); err != nil {
		return err
	}
	checkRevise(&f, &v, rv)
	rv.Form, rv.Errors = f, v.FieldErrors
	status := http.StatusOK
	if !v.Valid() {
		status = http.StatusUnprocessableEntity
	}
	return a.render(c, status, "admin_revise_preview", "核对修改前后对照表", rv)
}

func (a *app) fillRevisePreview(c echo.Context, rv *reviseView, secs []store.Section) error {
	ctx := c.Request().Context()
	old, err := a.store.Sections(ctx, rv.C.ID)
	if err != nil {
		return err
	}
	counts, err := a.store.RevisionCommentCounts(ctx, rv.C.ID, rv.C.DraftRevision)
	if err != nil {
		return err
	}
	pins := pinsFromForm(c, old, secs)
	rv.Cmp = compareSections(old, secs, pins, counts, nil)
	rv.Cmp.From = store.Revision{Number: rv.C.DraftRevision}
	rv.Cmp.To = store.Revision{Number: rv.C.DraftRevision + 1}
	for _, s := range old {
		rv.Options = append(rv.Options, pairOption{Anchor: s.Anchor, Kind: s.Kind, Label: excerpt(s.Label+s.Heading, 24)})
	}
	return nil
}

// revisePublish is POST /admin/c/{slug}/revise/publish.
func (a *app) revisePublish(c echo.Context) error {
	var v validator
	f := readReviseForm(c)
	f.Text = cleanDraftText(strings.ToValidUTF8(c.FormValue("draft_text"), "\uFFFD"))
	rv, err := a.reviseView(c, f, &v)
	if err != nil {
		return err
	}
	if c.FormValue("edit") == "1" {
		return a.render(c, http.StatusOK, "admin_revise", "发布修改稿", rv)
	}
	d, secs, _ := parseDraftText(f.Text, &v)
	if !v.Valid() {
		rv.Errors = v.FieldErrors
		return a.render(c, http.StatusUnprocessableEntity, "admin_revise", "发布修改稿", rv)
	}
	if err := a.fillRevisePreview(c, rv, secs); err != nil {
		return err
	}
	opens, closes := checkRevise(&f, &v, rv)
	cmp := rv.Cmp
	v.CheckField(cmp.Changed+cmp.Added+cmp.Deleted+cmp.Moved > 0 || d.Title != rv.C.Title, "draft_text",
		"修改稿与现行文本完全相同,无需发布。")
	if v.Valid() && c.FormValue("revision") != fmt.Sprint(rv.C.DraftRevision) {
		v.CheckField(false, "draft_text", "在您核对期间已有人发布了新的修改稿。请重新识别并核对。")
	}
	if !v.Valid() {
		rv.Form, rv.Errors = f, v.FieldErrors
		return a.render(c, http.StatusUnprocessableEntity, "admin_revise_preview", "核对修改前后对照表", rv)
	}
	old, err := a.store.Sections(c.Request().Context(), rv.C.ID)
	if err != nil {
		return err
	}
	nr := store.NewRevision{Draft: d, Sections: secs, Reason: f.Reason, Pins: pinsFromForm(c, old, secs)}
	if f.Round {
		nr.OpensAt, nr.ClosesAt = opens, closes
	}
	sum := sha256.Sum256([]byte(f.Text))
	d.DraftSHA256 = hex.EncodeToString(sum[:])
	if _, err := a.store.PublishRevision(c.Request().Context(), a.actor(c), rv.C.ID, nr); err != nil {
		return err
	}
	a.draftGen.Add(1)
	return c.Redirect(http.StatusSeeOther, "/c/"+rv.C.Slug+"/changes")
}

// rowChoice is the earlier section a preview row is paired with ("" for none).
func rowChoice(r changeRow) string {
	if len(r.Old) == 0 {
		return ""
	}
	return r.Old[0].Anchor
}

func init() {
	funcs["rowChoice"] = rowChoice
}
