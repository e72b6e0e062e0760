package main

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"consult/store"
)

type adminHomeItem struct {
	C      store.Consultation
	Status windowStatus
	Counts map[string]int // by status
	Total  int
}

// adminHome is the workspace's start page: every consultation with its totals.
func (a *app) adminHome(c echo.Context) error {
	ctx := c.Request().Context()
	list, err := a.store.ListConsultations(ctx)
	if err != nil {
		return err
	}
	items := make([]adminHomeItem, len(list))
	for i, cs := range list {
		counts, err := a.store.StatusCounts(ctx, cs.ID)
		if err != nil {
			return err
		}
		total := 0
		for _, n := range counts {
			total += n
		}
		items[i] = adminHomeItem{C: cs, Status: statusAt(a.now(), cs.OpensAt, cs.ClosesAt), Counts: counts, Total: total}
	}
	return a.render(c, http.StatusOK, "admin_home", "工作台", items)
}

// queueParams are the queue's filter fields as they appear in the URL.
var queueParams = []string{"rev", "section", "status", "identity", "channel", "from", "to", "has_response", "group", "collapse", "tag", "q", "sort",
	"unit", "route", "overdue", "assigned"}

// queueFilter reads the queue's filter from query or form values.
func queueFilter(d *draftData, get func(string) string) (store.QueueFilter, url.Values) {
	f := store.QueueFilter{ConsultationID: d.C.ID, Collapse: get("collapse") != "0"}
	kept := url.Values{}
	for _, k := range queueParams {
		if v := strings.TrimSpace(get(k)); v != "" {
			kept.Set(k, v)
		}
	}
	if r, err := strconv.Atoi(kept.Get("rev")); err == nil && r >= 1 && r <= d.C.DraftRevision {
		f.Revision = r
	}
	if v := kept.Get("section"); v == "general" || d.SectionOf(f.Revision, v) != nil {
		f.Section = v
		// An anchor names a different text in each revision: without a revision it is
		// the one on show (server/revisions.go).
		if f.Revision == 0 && d.Revised() {
			f.Revision = d.C.DraftRevision
		}
	}
	if v := kept.Get("status"); store.StatusLabels[v] != "" {
		f.Status = v
	}
	if v := kept.Get("identity"); contains(identities, v) {
		f.Identity = v
	}
	if v := kept.Get("channel"); store.ChannelLabels[v] != "" {
		f.Channel = v
	}
	if t, err := time.ParseInLocation("2006-01-02", kept.Get("from"), beijing); err == nil {
		f.From = t
	}
	if t, err := time.ParseInLocation("2006-01-02", kept.Get("to"), beijing); err == nil {
		f.To = t.AddDate(0, 0, 1) // inclusive
	}
	if v := kept.Get("has_response"); v == "yes" || v == "no" {
		f.HasResponse = v
	}
	if id, err := strconv.ParseInt(kept.Get("group"), 10, 64); err == nil {
		f.GroupID = id
	}
	f.Tag = kept.Get("tag")
	f.Q = kept.Get("q")
	if v := kept.Get("sort"); v == "old" || v == "group" {
		f.Sort = v
	}
	teamFilter(&f, kept)
	return f, kept
}

type queueView struct {
	D        *draftData
	Filter   store.QueueFilter
	Query    url.Values   // the filter, for links
	QS       template.URL // the filter as a query string (already encoded)
	Rows     []store.QueueRow
	Next     string
	Error    string
	Flash    string
	CanWrite bool
	Statuses []string
	Channels []string
	Identity []string
	Mark     int64 // audit mark for bulk decisions made from this page
	Team     queueTeam
}

// queue is the triage queue: GET /admin/c/{slug}/comments (search text in q).
func (a *app) queue(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := a.loadDraft(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	f, kept := queueFilter(d, c.QueryParam)
	a.scopeFilter(c, &f)
	f.Cursor = c.QueryParam("cursor")
	v := queueView{D: d, Filter: f, Query: kept, QS: template.URL(kept.Encode()), Flash: c.QueryParam("done"),
		CanWrite: canDecideRole(sessionFrom(c).User.Role), Statuses: store.Statuses, Channels: store.Channels, Identity: identities}
	status := http.StatusOK
	if v.Mark, err = a.store.AuditMark(ctx); err != nil {
		return err
	}
	v.Rows, v.Next, err = a.store.Queue(ctx, f)
	if errors.Is(err, store.ErrShortQuery) {
		v.Error, status = "搜索词至少需要两个字。", http.StatusUnprocessableEntity
	} else if err != nil {
		if strings.HasPrefix(err.Error(), "store: bad cursor") {
			return echo.NewHTTPError(http.StatusBadRequest, "分页参数有误。")
		}
		return err
	}
	if v.Team, err = a.queueTeamFor(c, v.Rows); err != nil {
		return err
	}
	return a.render(c, status, "admin_queue", "意见处理", v)
}

type commentView struct {
	D        *draftData
	C        *store.Comment
	Section  *store.Section
	History  []store.AuditEntry
	Group    int
	QS       template.URL
	Next     int64
	Prev     int64
	Errors   map[string]string
	Form     store.Decision
	Whole    bool
	CanWrite bool
	ShowPII  bool
	Statuses []string
	Saved    bool
	// Version is the comment's version the form is for; Conflict, on a 409, is the
	// comment as another officer left it.
	Version  int64
	Conflict *store.Comment
	// Team: routing, assignment, presence (team.go).
	Team teamView
}

func (a *app) commentFor(c echo.Context) (*draftData, *store.Comment, error) {
	ctx := c.Request().Context()
	d, err := a.loadDraft(ctx, c.Param("slug"))
	if err != nil {
		return nil, nil, err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return nil, nil, echo.ErrNotFound
	}
	cm, err := a.store.CommentByID(ctx, d.C.ID, id)
	if err == nil {
		err = a.deptMayOpen(c, cm)
	}
	return d, cm, err
}

// commentShow shows one comment beside the text it is about, with the decision form
// and the comment's history.
func (a *app) commentShow(c echo.Context) error {
	d, cm, err := a.commentFor(c)
	if err != nil {
		return err
	}
	v, err := a.commentView(c, d, cm)
	if err != nil {
		return err
	}
	v.Form = store.Decision{Status: cm.Status, Response: cm.Response, Note: cm.Note, Tags: cm.Tags}
	v.Saved = c.QueryParam("saved") == "1"
	return a.render(c, http.StatusOK, "admin_comment", "处理意见", v)
}

// formVersion reads a version a form carries; -1 (not checked) when there is none.
func formVersion(c echo.Context, key string) int64 {
	v, err := strconv.ParseInt(c.FormValue(key), 10, 64)
	if err != nil || v < 0 {
		return -1
	}
	return v
}

func (a *app) commentView(c echo.Context, d *draftData, cm *store.Comment) (commentView, error) {
	ctx := c.Request().Context()
	role := sessionFrom(c).User.Role
	v := commentView{D: d, C: cm, Section: d.SectionOf(cm.DraftRevision, cm.SectionAnchor), CanWrite: role == store.RoleAdmin || role == store.RoleOfficer,
		ShowPII: a.cfg.ContactVisible(role), Statuses: store.Statuses, Version: cm.Version}
	f, kept := queueFilter(d, func(k string) string { return c.QueryParam(k) })
	if c.Request().Method == http.MethodPost {
		f, kept = queueFilter(d, func(k string) string { return c.FormValue("q_" + k) })
	}
	a.scopeFilter(c, &f)
	v.QS = template.URL(kept.Encode())
	var err error
	if v.Group, err = a.store.GroupSize(ctx, cm.GroupID); err != nil {
		return v, err
	}
	if v.History, err = a.store.ListAudit(ctx, store.AuditFilter{Target: fmt.Sprintf("comment:%d", cm.ID), Limit: 50}); err != nil {
		return v, err
	}
	if v.Team, err = a.teamFor(c, d, cm); err != nil {
		return v, err
	}
	// The neighbours in the queue as filtered, for "next" and keyboard moves.
	f.Limit = 1
	f.Cursor = fmt.Sprintf("%d.%d", v.Group, cm.ID)
	if rows, _, err := a.store.Queue(ctx, f); err == nil && len(rows) == 1 {
		v.Next = rows[0].ID
	}
	prev := f
	switch f.Sort {
	case "old":
		prev.Sort = ""
	case "":
		prev.Sort = "old"
	}
	if f.Sort != "group" {
		if rows, _, err := a.store.Queue(ctx, prev); err == nil && len(rows) == 1 {
			v.Prev = rows[0].ID
		}
	}
	return v, nil
}

// commentDecide saves a decision (and moves on to the next comment in the queue).
func (a *app) commentDecide(c echo.Context) error {
	d, cm, err := a.commentFor(c)
	if err != nil {
		return err
	}
	dec := store.Decision{Status: c.FormValue("status"), Response: normalizeText(c.FormValue("response")),
		Note: normalizeText(c.FormValue("note")), Tags: normalizeLine(c.FormValue("tags"))}
	whole := c.FormValue("whole_group") == "1"
	_, err = a.store.DecideVersion(c.Request().Context(), a.actor(c), d.C.ID, cm.ID, dec, whole, formVersion(c, "version"))
	if ce := store.AsConflict(err); ce != nil && ce.Comment != nil {
		// Someone else decided since this form was shown: nothing was saved. Show their
		// decision, keep this officer's in the fields, and let them save over it.
		v, verr := a.commentView(c, d, ce.Comment)
		if verr != nil {
			return verr
		}
		v.Form, v.Whole, v.Conflict, v.Version = dec, whole, ce.Comment, ce.Comment.Version
		return a.render(c, http.StatusConflict, "admin_comment", "处理意见(有冲突)", v)
	}
	if failed := a.writeFailed(err); failed {
		v, verr := a.commentView(c, d, cm)
		if verr != nil {
			return verr
		}
		v.Form, v.Whole, v.Version = dec, whole, formVersion(c, "version")
		v.Errors = map[string]string{"form": unavailableText}
		return a.render(c, http.StatusServiceUnavailable, "admin_comment", "处理意见", v)
	}
	if errors.Is(err, store.ErrReasonRequired) || errors.Is(err, store.ErrBadStatus) {
		v, verr := a.commentView(c, d, cm)
		if verr != nil {
			return verr
		}
		v.Form, v.Whole = dec, whole
		if seen := formVersion(c, "version"); seen >= 0 {
			v.Version = seen // still the version the officer was shown: a fix-up must not skip the conflict check
		}
		v.Errors = map[string]string{}
		if errors.Is(err, store.ErrBadStatus) {
			v.Errors["status"] = "请选择处理状态。"
		} else {
			v.Errors["response"] = "“不予采纳”必须填写理由。"
		}
		return a.render(c, http.StatusUnprocessableEntity, "admin_comment", "处理意见", v)
	}
	if err != nil {
		return err
	}
	a.gen.Add(1)
	v, err := a.commentView(c, d, cm)
	if err != nil {
		return err
	}
	target := cm.ID
	if c.FormValue("stay") == "" && v.Next != 0 {
		target = v.Next
	}
	q := string(v.QS)
	if q != "" {
		q = "&" + q
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/c/%s/comments/%d?saved=1%s", d.C.Slug, target, q))
}

type bulkView struct {
	D      *draftData
	QS     template.URL
	Query  url.Values
	IDs    []int64
	Count  int
	Dec    store.Decision
	Error  string
	Status string
	// Mark is the audit mark when the selection was made; Changed, on a 409, are the
	// comments others decided since; Exclude are those the officer chose to leave alone.
	Mark    int64
	Changed []store.Comment
	Exclude []int64
}

// bulkDecide applies a decision to the selected comments or to everything the filter
// matches. The first POST shows the count; the second (confirm=1, with that count)
// applies it, and refuses if the selection changed meanwhile.
func (a *app) bulkDecide(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := a.loadDraft(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	f, kept := queueFilter(d, func(k string) string { return c.FormValue("q_" + k) })
	a.scopeFilter(c, &f)
	form, _ := c.FormParams()
	var ids []int64
	if c.FormValue("scope") != "filter" {
		for _, s := range form["ids"] {
			if id, err := strconv.ParseInt(s, 10, 64); err == nil {
				ids = append(ids, id)
			}
		}
	}
	dec := store.Decision{Status: c.FormValue("status"), Response: normalizeText(c.FormValue("response")), Tags: normalizeLine(c.FormValue("tags"))}
	v := bulkView{D: d, QS: template.URL(kept.Encode()), Query: kept, IDs: ids, Dec: dec, Mark: max(formVersion(c, "mark"), 0)}
	for _, s := range form["exclude"] {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			v.Exclude = append(v.Exclude, id)
		}
	}
	back := "/admin/c/" + d.C.Slug + "/comments?" + string(v.QS)
	if c.FormValue("scope") != "filter" && len(ids) == 0 {
		return c.Redirect(http.StatusSeeOther, back+"&done="+url.QueryEscape("没有选中任何意见。"))
	}
	if store.StatusLabels[dec.Status] == "" {
		v.Error = "请选择处理状态。"
	} else if dec.Status == store.StatusRejected && dec.Response == "" {
		v.Error = "“不予采纳”必须填写理由。"
	}
	if c.FormValue("scope") == "filter" {
		f.Collapse = false // a decision on "everything that matches" covers every copy
		v.Count, err = a.store.CountQueue(ctx, f)
	} else {
		v.Count = len(ids)
	}
	if err == nil {
		v.Count -= len(v.Exclude)
	}
	if err != nil {
		if errors.Is(err, store.ErrShortQuery) {
			v.Error = "搜索词至少需要两个字。"
		} else {
			return err
		}
	}
	if v.Error != "" {
		return a.render(c, http.StatusUnprocessableEntity, "admin_bulk", "批量处理", v)
	}
	if c.FormValue("confirm") != "1" {
		return a.render(c, http.StatusOK, "admin_bulk", "批量处理", v)
	}
	expect, err := strconv.Atoi(c.FormValue("expect"))
	if err != nil {
		expect = -1
	}
	n, err := a.store.BulkDecideWith(ctx, a.actor(c), f, ids, dec,
		store.BulkOptions{Expect: expect, Mark: v.Mark, Overwrite: c.FormValue("overwrite") == "1", Exclude: v.Exclude})
	var bce *store.BulkConflictError
	if errors.As(err, &bce) {
		// Others decided some of these since the selection: nothing was saved. List
		// them; the officer leaves them alone or decides them too, deliberately.
		v.Changed = bce.Changed
		return a.render(c, http.StatusConflict, "admin_bulk", "批量处理(有冲突)", v)
	}
	if a.writeFailed(err) {
		v.Error = unavailableText
		return a.render(c, http.StatusServiceUnavailable, "admin_bulk", "批量处理", v)
	}
	if errors.Is(err, store.ErrChanged) {
		v.Error = "符合条件的意见数量已经变化,请重新确认。"
		return a.render(c, http.StatusConflict, "admin_bulk", "批量处理", v)
	}
	if err != nil {
		return err
	}
	a.gen.Add(1)
	return c.Redirect(http.StatusSeeOther, back+"&done="+url.QueryEscape(fmt.Sprintf("已将 %d 条意见标记为“%s”。", n, store.StatusLabels[dec.Status])))
}

type recordView struct {
	D      *draftData
	Form   recordForm
	Errors map[string]string
	Late   bool
}

type recordForm struct {
	Channel, ReceivedOn, Section, Body, Name, Identity, Organization, Phone, Email string
}

// recordForm lets an officer type in a comment received by letter, e-mail or phone.
func (a *app) recordForm(c echo.Context) error {
	d, err := a.loadDraft(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	f := recordForm{Channel: "letter", ReceivedOn: a.now().In(beijing).Format("2006-01-02"), Section: "general", Identity: "个人"}
	return a.render(c, http.StatusOK, "admin_record", "录入意见", recordView{D: d, Form: f})
}

// recordPost stores such a comment; it is accepted after the window closed too, and
// marked late when received after it.
func (a *app) recordPost(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := a.loadDraft(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	f := recordForm{Channel: c.FormValue("channel"), ReceivedOn: strings.TrimSpace(c.FormValue("received_on")),
		Section: c.FormValue("section"), Body: normalizeText(c.FormValue("body")), Name: normalizeLine(c.FormValue("name")),
		Identity: normalizeLine(c.FormValue("identity")), Organization: normalizeLine(c.FormValue("organization")),
		Phone: normalizeLine(c.FormValue("phone")), Email: normalizeLine(c.FormValue("email"))}
	var v validator
	v.CheckField(f.Channel == "letter" || f.Channel == "email" || f.Channel == "phone", "channel", "请选择收到意见的方式。")
	received, err := time.ParseInLocation("2006-01-02", f.ReceivedOn, beijing)
	v.CheckField(err == nil, "received_on", "请填写收到日期,如 2023-01-15。")
	v.CheckField(err != nil || !received.After(a.now()), "received_on", "收到日期不能晚于今天。")
	rev, anchor := recordTarget(d, f.Section) // server/revisions.go: a letter may be about an earlier revision
	v.CheckField(rev != 0 && (anchor == "general" || d.SectionOf(rev, anchor) != nil), "section", "请选择意见针对的条款。")
	v.CheckField(f.Body != "", "body", "请填写意见内容。")
	v.CheckField(len([]rune(f.Body)) <= maxBodyRunes, "body", "意见内容最多 15000 字。")
	v.CheckField(contains(identities, f.Identity), "identity", "请选择身份。")
	v.CheckPhone(&f.Phone, "phone", "联系电话格式不正确。")
	v.CheckEmail(&f.Email, "email", "电子邮箱格式不正确。")
	if !v.Valid() {
		return a.render(c, http.StatusUnprocessableEntity, "admin_record", "录入意见", recordView{D: d, Form: f, Errors: v.FieldErrors})
	}
	// A letter postmarked on the closing day still counts: late means received after
	// the day the window closed.
	closes, err := a.roundCloses(ctx, d, rev)
	if err != nil {
		return err
	}
	closesDay := closes.In(beijing)
	lastDay := time.Date(closesDay.Year(), closesDay.Month(), closesDay.Day(), 0, 0, 0, 0, beijing)
	sess := sessionFrom(c)
	cm := &store.Comment{ConsultationID: d.C.ID, DraftRevision: rev, SectionAnchor: anchor, Body: f.Body, Name: f.Name, Identity: f.Identity,
		Organization: f.Organization, Phone: f.Phone, Email: f.Email, ConsentedAt: a.now(), CreatedAt: a.now(),
		Channel: f.Channel, ReceivedAt: received, RecordedBy: sess.User.Username, Late: received.After(lastDay),
		SubmissionKey: newFormKey()}
	if s := d.SectionOf(rev, anchor); s != nil {
		cm.SectionID = s.ID
	}
	saved, err := a.store.RecordComment(ctx, a.actor(c), cm, map[string]any{"channel": f.Channel, "received_on": f.ReceivedOn, "late": cm.Late})
	if a.writeFailed(err) {
		return a.render(c, http.StatusServiceUnavailable, "admin_record", "录入意见",
			recordView{D: d, Form: f, Errors: map[string]string{"form": unavailableText}})
	}
	if err != nil {
		return err
	}
	a.gen.Add(1)
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/c/%s/comments/%d?saved=1", d.C.Slug, saved.ID))
}
