package main

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"consult/store"
)

// minWindow is the comment period the regulation expects; a shorter one needs its
// reason stated.
const minWindow = 30 * 24 * time.Hour

// maxReasonRunes bounds the reason kept for a window change.
const maxReasonRunes = 1000

func init() {
	// winLength is a window's length in days, hours and minutes.
	funcs["winLength"] = func(opens, closes time.Time) string { return windowLength(closes.Sub(opens)) }
	// winEnd shows one end of a section override; nil means inherited.
	funcs["winEnd"] = func(t *time.Time) string {
		if t == nil {
			return "沿用上级"
		}
		return t.In(beijing).Format("2006-01-02 15:04")
	}
	// sectionName is how a section is named in selects and lists.
	funcs["sectionName"] = sectionName
}

func (a *app) windowRoutes(g *echo.Group) {
	g.GET("/c/:slug/window", a.windowShow, a.requireRole(onlyAdmin...))
	g.POST("/c/:slug/window", a.windowPost, a.requireRole(onlyAdmin...))
	g.POST("/c/:slug/window/section", a.sectionWindowPost, a.requireRole(onlyAdmin...))
}

// windowLength writes a duration as "47 天 23 小时 36 分钟".
func windowLength(d time.Duration) string {
	if d <= 0 {
		return "0 分钟"
	}
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	var parts []string
	if days > 0 {
		parts = append(parts, fmt.Sprintf("%d 天", days))
	}
	if hours > 0 {
		parts = append(parts, fmt.Sprintf("%d 小时", hours))
	}
	if mins > 0 {
		parts = append(parts, fmt.Sprintf("%d 分钟", mins))
	}
	return strings.Join(parts, " ")
}

// sectionName is "前言", or a chapter's or article's label and (shortened) heading.
func sectionName(s *store.Section) string {
	if s == nil {
		return "全文"
	}
	if s.Kind == "preamble" {
		return "前言"
	}
	if s.Heading == "" {
		return s.Label + " " + excerpt(s.Body, 24)
	}
	return s.Label + excerpt(s.Heading, 30)
}

// parseBeijing reads a datetime-local value ("2023-01-10T09:00") as Beijing time. It
// also takes seconds and a space for the T, as typed into a browser without the picker.
func parseBeijing(s string) (time.Time, bool) {
	s = strings.TrimSpace(foldWidth(s))
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, beijing); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// windowForm is the window form as typed.
type windowForm struct {
	OpensAt  string
	ClosesAt string
	Reason   string
}

// sectionWindowForm is the per-section override form as typed.
type sectionWindowForm struct {
	Section  string
	OpensAt  string
	ClosesAt string
	Reason   string
}

// sectionOverride is a section with its own window, and the window that results.
type sectionOverride struct {
	Sec    *store.Section
	Opens  time.Time
	Closes time.Time
	Status windowStatus
}

// windowChangeRow is a history entry with the section it concerns.
type windowChangeRow struct {
	store.WindowChange
	Where string
}

type windowView struct {
	D          *draftData
	Status     windowStatus
	Short      bool
	Form       windowForm
	Errors     map[string]string
	ShortNote  string // shown beside the form when the proposed window is under 30 days
	Sec        sectionWindowForm
	SecErrors  map[string]string
	Overrides  []sectionOverride
	History    []windowChangeRow
	Saved      string // "window" or "section" after a change
	Overridden map[string]bool
	// Mark identifies the latest window change the forms were shown with; Conflict,
	// on a 409, is the change another officer made since; Error is for the whole page.
	Mark     int64
	Conflict *windowChangeRow
	Error    string
}

func (a *app) windowView(c echo.Context, d *draftData) (windowView, error) {
	v := windowView{
		D: d, Status: statusAt(a.now(), d.C.OpensAt, d.C.ClosesAt), Short: d.C.ClosesAt.Sub(d.C.OpensAt) < minWindow,
		Form:       windowForm{OpensAt: d.C.OpensAt.In(beijing).Format("2006-01-02T15:04"), ClosesAt: d.C.ClosesAt.In(beijing).Format("2006-01-02T15:04")},
		Overridden: map[string]bool{},
	}
	for i := range d.Sections {
		s := &d.Sections[i]
		if s.OpensAt == nil && s.ClosesAt == nil {
			continue
		}
		v.Overridden[s.Anchor] = true
		o, cl := d.window(s)
		v.Overrides = append(v.Overrides, sectionOverride{Sec: s, Opens: o, Closes: cl, Status: statusAt(a.now(), o, cl)})
	}
	changes, err := a.store.WindowChanges(c.Request().Context(), d.C.ID, 200)
	if err != nil {
		return v, err
	}
	if v.Mark, err = a.store.WindowMark(c.Request().Context(), d.C.ID); err != nil {
		return v, err
	}
	for _, ch := range changes {
		row := windowChangeRow{WindowChange: ch, Where: "整体征集时间"}
		if ch.Action == "section_window" {
			row.Where = ch.Anchor
			if s := d.Section(ch.Anchor); s != nil {
				row.Where = sectionName(s)
			}
		}
		v.History = append(v.History, row)
	}
	return v, nil
}

// windowShow shows a consultation's window, its per-section overrides and the history
// of changes: GET /admin/c/{slug}/window.
func (a *app) windowShow(c echo.Context) error {
	d, err := a.loadDraft(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	v, err := a.windowView(c, d)
	if err != nil {
		return err
	}
	if s := c.QueryParam("saved"); s == "window" || s == "section" {
		v.Saved = s
	}
	return a.render(c, http.StatusOK, "admin_window", "征集时间", v)
}

// windowPost changes the consultation's window: POST /admin/c/{slug}/window with
// opens_at, closes_at (datetime-local, Beijing time) and reason.
func (a *app) windowPost(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := a.loadDraft(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	f := windowForm{OpensAt: strings.TrimSpace(c.FormValue("opens_at")), ClosesAt: strings.TrimSpace(c.FormValue("closes_at")),
		Reason: normalizeText(c.FormValue("reason"))}
	var val validator
	opens, okO := parseBeijing(f.OpensAt)
	closes, okC := parseBeijing(f.ClosesAt)
	val.CheckField(okO, "opens_at", "请填写开始时间(北京时间),例如 2023-01-10 09:00。")
	val.CheckField(okC, "closes_at", "请填写截止时间(北京时间),例如 2023-02-10 17:00。")
	var shortNote string
	if okO && okC {
		val.CheckField(closes.After(opens), "closes_at", "截止时间必须晚于开始时间。")
		val.CheckField(!opens.Equal(d.C.OpensAt) || !closes.Equal(d.C.ClosesAt), "closes_at", "征集时间没有变化。")
		if closes.After(opens) && closes.Sub(opens) < minWindow {
			shortNote = "调整后的征集期为 " + windowLength(closes.Sub(opens)) + ",少于 30 天。"
			val.CheckField(f.Reason != "", "reason", shortNote+"按规定须说明理由:请在此写明为什么征集期少于 30 天。")
		}
	}
	val.CheckField(f.Reason != "", "reason", "请填写调整理由。理由会记录在案,并显示在调整记录中。")
	val.CheckField(utf8.RuneCountInString(f.Reason) <= maxReasonRunes, "reason", fmt.Sprintf("理由请控制在 %d 字以内。", maxReasonRunes))
	if val.Valid() {
		err := a.store.ChangeWindowSeen(ctx, a.actor(c), d.C.ID, opens, closes, f.Reason, formVersion(c, "seen"))
		if errors.Is(err, store.ErrConflict) || a.writeFailed(err) {
			return a.windowRefused(c, d, err, func(v *windowView) { v.Form = f })
		}
		if err != nil {
			return err
		}
		a.windowChanged()
		return c.Redirect(http.StatusSeeOther, "/admin/c/"+d.C.Slug+"/window?saved=window")
	}
	v, err := a.windowView(c, d)
	if err != nil {
		return err
	}
	v.Form, v.Errors, v.ShortNote = f, val.FieldErrors, shortNote
	keepSeen(c, &v)
	return a.render(c, http.StatusUnprocessableEntity, "admin_window", "征集时间", v)
}

// sectionWindowPost sets or clears one section's own window: POST
// /admin/c/{slug}/window/section with section, opens_at, closes_at (either may be
// empty: inherited), reason, and clear=1 to remove the override.
func (a *app) sectionWindowPost(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := a.loadDraft(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	f := sectionWindowForm{Section: strings.TrimSpace(c.FormValue("section")), OpensAt: strings.TrimSpace(c.FormValue("opens_at")),
		ClosesAt: strings.TrimSpace(c.FormValue("closes_at")), Reason: normalizeText(c.FormValue("reason"))}
	clear := c.FormValue("clear") == "1"
	var val validator
	sec := d.Section(f.Section)
	val.CheckField(sec != nil, "section", "请选择要单独设置的章节或条款。")
	var opens, closes *time.Time
	if !clear {
		if f.OpensAt != "" {
			t, ok := parseBeijing(f.OpensAt)
			val.CheckField(ok, "opens_at", "开始时间格式不正确,例如 2023-01-10 09:00;不单独设置请留空。")
			opens = &t
		}
		if f.ClosesAt != "" {
			t, ok := parseBeijing(f.ClosesAt)
			val.CheckField(ok, "closes_at", "截止时间格式不正确,例如 2023-02-10 17:00;不单独设置请留空。")
			closes = &t
		}
		val.CheckField(opens != nil || closes != nil, "closes_at", "请填写开始时间或截止时间(至少一项);要取消单独设置,请点“取消单独设置”。")
	}
	if sec != nil && val.Valid() {
		if clear {
			val.CheckField(sec.OpensAt != nil || sec.ClosesAt != nil, "section", "该章节或条款没有单独设置的征集时间。")
		} else {
			cp := *sec
			cp.OpensAt, cp.ClosesAt = opens, closes
			eo, ec := d.window(&cp)
			val.CheckField(ec.After(eo), "closes_at", fmt.Sprintf("设置后该条的征集时间为 %s 至 %s,截止时间必须晚于开始时间(留空的一项沿用上级设置)。",
				eo.In(beijing).Format("2006-01-02 15:04"), ec.In(beijing).Format("2006-01-02 15:04")))
			val.CheckField(!sameTimePtr(sec.OpensAt, opens) || !sameTimePtr(sec.ClosesAt, closes), "closes_at", "该条的单独设置没有变化。")
		}
	}
	val.CheckField(f.Reason != "", "reason", "请填写理由。理由会记录在案,并显示在调整记录中。")
	val.CheckField(utf8.RuneCountInString(f.Reason) <= maxReasonRunes, "reason", fmt.Sprintf("理由请控制在 %d 字以内。", maxReasonRunes))
	if val.Valid() {
		err := a.store.ChangeSectionWindowSeen(ctx, a.actor(c), d.C.ID, sec.Anchor, opens, closes, f.Reason, formVersion(c, "seen"))
		if errors.Is(err, store.ErrConflict) || a.writeFailed(err) {
			return a.windowRefused(c, d, err, func(v *windowView) { v.Sec = f })
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err == nil {
			a.windowChanged()
			return c.Redirect(http.StatusSeeOther, "/admin/c/"+d.C.Slug+"/window?saved=section#overrides")
		}
		// The section vanished meanwhile (the draft was re-imported).
		val.CheckField(false, "section", "请选择要单独设置的章节或条款。")
	}
	v, err := a.windowView(c, d)
	if err != nil {
		return err
	}
	v.Sec, v.SecErrors = f, val.FieldErrors
	keepSeen(c, &v)
	return a.render(c, http.StatusUnprocessableEntity, "admin_window", "征集时间", v)
}

// windowRefused re-renders the window page with the officer's input kept when the
// change was not saved: 409 when someone changed the window since the page was shown
// (their change is shown; saving again goes over it), 503 when the database could not
// save.
func (a *app) windowRefused(c echo.Context, d *draftData, err error, keep func(*windowView)) error {
	fresh, lerr := a.loadDraft(c.Request().Context(), d.C.Slug) // the window as it now is
	if lerr != nil {
		return lerr
	}
	v, verr := a.windowView(c, fresh)
	if verr != nil {
		return verr
	}
	keep(&v)
	if !errors.Is(err, store.ErrConflict) {
		keepSeen(c, &v)
		v.Error = unavailableText
		return a.render(c, http.StatusServiceUnavailable, "admin_window", "征集时间", v)
	}
	if len(v.History) > 0 {
		v.Conflict = &v.History[0]
	}
	return a.render(c, http.StatusConflict, "admin_window", "征集时间(有冲突)", v)
}

// keepSeen keeps the window change the form was first shown with when it comes back
// for a correction, so the corrected save is still checked against it.
func keepSeen(c echo.Context, v *windowView) {
	if seen := formVersion(c, "seen"); seen >= 0 {
		v.Mark = seen
	}
}

// windowChanged refreshes the cached consultation data and the cached public pages,
// which show the window.
func (a *app) windowChanged() {
	a.draftGen.Add(1)
	a.gen.Add(1)
}

func sameTimePtr(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}
