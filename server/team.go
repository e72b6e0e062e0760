package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"consult/store"
)

// Team triage: routing (交办) of comments to the responsible units, the units'
// proposed answers, assignment inside the office, and who has a comment open.

func init() {
	funcs["sub"] = func(a, b int) int { return a - b }
	funcs["routeLabel"] = func(s string) string { return store.RouteLabels[s] }
	funcs["routeStates"] = func() []string { return store.RouteStates }
	roleLabels[store.RoleDepartment] = "承办单位"
	auditActions = append(auditActions, []auditAction{
		{"route", "交办"}, {"route_auto", "按规则自动交办"}, {"route_rule", "设置交办规则"}, {"route_rule_delete", "删除交办规则"},
		{"route_answer", "承办单位提交拟处理意见"}, {"route_accept", "采纳承办单位意见"}, {"route_return", "退回承办单位"},
		{"assign", "指派"},
	}...)
	funcs["bjday"] = func(t time.Time) string { return t.In(beijing).Format("2006-01-02") }
	// team passes the comment page's view and the CSRF token to the team panel.
	funcs["team"] = func(v commentView, csrf string) map[string]any { return map[string]any{"V": v, "CSRF": csrf} }
}

var (
	// allRoles may sign in and see the workspace's pages meant for them.
	allRoles = append(append([]string(nil), anyRole...), store.RoleDepartment)
	onlyDept = []string{store.RoleDepartment}
)

// maxUnitRunes bounds a unit's name.
const maxUnitRunes = 40

func (a *app) teamRoutes(g *echo.Group) {
	g.POST("/c/:slug/comments/route", a.routePost, a.requireRole(canDecide...))
	g.POST("/c/:slug/comments/assign", a.assignPost, a.requireRole(canDecide...))
	g.GET("/c/:slug/routing", a.routingRules, a.requireRole(canDecide...))
	g.POST("/c/:slug/routing", a.routingRulePost, a.requireRole(canDecide...))
	g.POST("/c/:slug/comments/:id/propose", a.proposePost, a.requireRole(onlyDept...))
	g.POST("/c/:slug/comments/:id/review", a.reviewPost, a.requireRole(canDecide...))
	g.GET("/c/:slug/comments/:id/presence", a.presencePing, a.requireRole(allRoles...))
}

// teamFilter reads the queue's routing and assignment fields (unit, route, overdue,
// assigned) from the kept filter values.
func teamFilter(f *store.QueueFilter, kept url.Values) {
	f.Unit = kept.Get("unit")
	if v := kept.Get("route"); store.RouteLabels[v] != "" {
		f.Route = v
	}
	if kept.Get("overdue") == "1" {
		f.OverdueAt = time.Now() // replaced by the app's clock in scopeFilter
	}
	f.AssignedTo = kept.Get("assigned")
}

// scopeFilter finishes a queue filter for the signed-in account: "assigned=me" is the
// officer, overdue is judged by the app's clock, and a department account only ever
// sees its own unit's comments.
func (a *app) scopeFilter(c echo.Context, f *store.QueueFilter) {
	s := sessionFrom(c)
	if s == nil {
		return
	}
	if f.AssignedTo == "me" {
		f.AssignedTo = s.User.Username
	}
	if !f.OverdueAt.IsZero() {
		f.OverdueAt = a.now()
	}
	if s.User.Role == store.RoleDepartment {
		f.Unit = s.User.Unit
	}
}

// deptMayOpen refuses (404, as if it did not exist) a comment not routed to the
// signed-in department's unit.
func (a *app) deptMayOpen(c echo.Context, cm *store.Comment) error {
	s := sessionFrom(c)
	if s == nil || s.User.Role != store.RoleDepartment {
		return nil
	}
	r, err := a.store.RoutingFor(c.Request().Context(), cm.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && r.Unit != s.User.Unit) {
		return echo.ErrNotFound
	}
	return err
}

// teamView is what the comment page shows about routing, assignment and who else has
// the comment open.
type teamView struct {
	Routing   *store.Routing
	Overdue   bool
	Units     []string
	Dept      bool   // the viewer is the unit's account
	Unit      string // the viewer's unit
	CanRoute  bool
	Viewers   []string // other accounts with the comment open now
	Me        string
	RouteErr  map[string]string
	Proposal  store.Decision // the department's form
	Statuses  []string       // what a unit may propose
	ReturnMsg string
	Flash     string
	PollMS    int64 // how often the page asks who else has it open
}

func (a *app) teamFor(c echo.Context, d *draftData, cm *store.Comment) (teamView, error) {
	ctx := c.Request().Context()
	s := sessionFrom(c)
	v := teamView{Me: s.User.Username, Dept: s.User.Role == store.RoleDepartment, Unit: s.User.Unit,
		CanRoute: canDecideRole(s.User.Role), Statuses: store.Statuses[1:], Flash: teamFlash[c.QueryParam("team")]}
	r, err := a.store.RoutingFor(ctx, cm.ID)
	switch {
	case err == nil:
		v.Routing, v.Overdue = r, r.Overdue(a.now())
		v.Proposal = store.Decision{Status: r.ProposedStatus, Response: r.ProposedResponse}
	case !errors.Is(err, store.ErrNotFound):
		return v, err
	}
	if v.CanRoute {
		if v.Units, err = a.store.Units(ctx); err != nil {
			return v, err
		}
	}
	if c.Request().Method == http.MethodGet {
		a.presence.seenBy(cm.ID, s.User.Username, a.now())
	}
	v.Viewers = a.presence.others(cm.ID, s.User.Username, a.now())
	v.PollMS = presencePoll.Milliseconds()
	return v, nil
}

// presencePoll is how often an open comment page says it is still open and asks who
// else has the comment open.
var presencePoll = 30 * time.Second

// presencePing is GET /admin/c/{slug}/comments/{id}/presence: the page is still open;
// the answer is who else has the comment open ({"viewers": [...]}). It only touches
// memory, so a GET is fine.
func (a *app) presencePing(c echo.Context) error {
	_, cm, err := a.commentFor(c)
	if err != nil {
		return err
	}
	user := sessionFrom(c).User.Username
	a.presence.seenBy(cm.ID, user, a.now())
	viewers := a.presence.others(cm.ID, user, a.now())
	if viewers == nil {
		viewers = []string{}
	}
	return c.JSON(http.StatusOK, map[string]any{"viewers": viewers})
}

var teamFlash = map[string]string{
	"routed": "已交办。", "proposed": "拟处理意见已提交,等待联系人审核。", "accepted": "已采纳承办单位的拟处理意见。",
	"returned": "已退回承办单位。", "assigned": "已指派给您。", "released": "已取消指派。",
}

// queueTeam is what the queue shows about routing and assignment.
type queueTeam struct {
	Routings map[int64]*store.Routing
	Overdue  map[int64]bool
	Units    []string
	Dept     bool
	Unit     string
	Me       string
	Viewers  map[int64][]string
}

func (a *app) queueTeamFor(c echo.Context, rows []store.QueueRow) (queueTeam, error) {
	ctx := c.Request().Context()
	s := sessionFrom(c)
	t := queueTeam{Overdue: map[int64]bool{}, Dept: s.User.Role == store.RoleDepartment, Unit: s.User.Unit, Me: s.User.Username,
		Viewers: map[int64][]string{}}
	ids := make([]int64, len(rows))
	now := a.now()
	for i, r := range rows {
		ids[i] = r.ID
		if v := a.presence.others(r.ID, s.User.Username, now); len(v) > 0 {
			t.Viewers[r.ID] = v
		}
	}
	var err error
	if t.Routings, err = a.store.RoutingsFor(ctx, ids); err != nil {
		return t, err
	}
	for id, r := range t.Routings {
		t.Overdue[id] = r.Overdue(now)
	}
	if !t.Dept {
		if t.Units, err = a.store.Units(ctx); err != nil {
			return t, err
		}
	}
	return t, nil
}

// formIDs reads the comment ids a form lists (ids), or the one in the URL.
func formIDs(c echo.Context) []int64 {
	form, _ := c.FormParams()
	var ids []int64
	for _, s := range form["ids"] {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// backTo is where a team action returns: the comment it came from, or the queue with
// the filter it was made under.
func backTo(c echo.Context, slug string, flash string) string {
	if id, err := strconv.ParseInt(c.FormValue("back_id"), 10, 64); err == nil && id > 0 {
		return fmt.Sprintf("/admin/c/%s/comments/%d?team=%s", slug, id, flash)
	}
	q := url.Values{}
	for _, k := range queueParams {
		if v := c.FormValue("q_" + k); v != "" {
			q.Set(k, v)
		}
	}
	q.Set("done", teamFlash[flash])
	return "/admin/c/" + slug + "/comments?" + q.Encode()
}

// parseDue reads a due date (2023-01-20, Beijing time): the end of that day.
func parseDue(s string) (time.Time, bool) {
	s = strings.TrimSpace(foldWidth(s))
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.ParseInLocation("2006-01-02", s, beijing)
	if err != nil {
		return time.Time{}, false
	}
	return t.AddDate(0, 0, 1).Add(-time.Second), true
}

// routePost routes one comment (back_id) or a selection (ids) to a unit with a due
// date: POST /admin/c/{slug}/comments/route with unit, due (YYYY-MM-DD, optional).
func (a *app) routePost(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := a.loadDraft(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	ids := formIDs(c)
	if len(ids) == 0 {
		if id, err := strconv.ParseInt(c.FormValue("back_id"), 10, 64); err == nil {
			ids = []int64{id}
		}
	}
	unit := normalizeLine(c.FormValue("unit"))
	due, okDue := parseDue(c.FormValue("due"))
	var val validator
	val.CheckField(len(ids) > 0, "ids", "请先选择要交办的意见。")
	val.CheckField(unit != "", "unit", "请填写承办单位,如 财政局。")
	val.CheckField(utf8.RuneCountInString(unit) <= maxUnitRunes, "unit", "承办单位名称最多 40 个字。")
	val.CheckField(okDue, "due", "办理期限格式不正确,例如 2023-02-20。")
	if !val.Valid() {
		return a.teamRefused(c, d, http.StatusUnprocessableEntity, val.FieldErrors)
	}
	_, err = a.store.Route(ctx, a.actor(c), d.C.ID, ids, unit, due)
	if a.writeFailed(err) {
		return a.teamRefused(c, d, http.StatusServiceUnavailable, map[string]string{"unit": unavailableText})
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, backTo(c, d.C.Slug, "routed"))
}

// teamRefused answers a team action that was not done: on the comment's page when it
// came from one (with the message next to the field), else on the queue.
func (a *app) teamRefused(c echo.Context, d *draftData, status int, errs map[string]string) error {
	id, err := strconv.ParseInt(c.FormValue("back_id"), 10, 64)
	if err != nil || id <= 0 {
		msg := ""
		for _, m := range errs {
			msg = m
		}
		return echo.NewHTTPError(status, msg)
	}
	cm, err := a.store.CommentByID(c.Request().Context(), d.C.ID, id)
	if err != nil {
		return err
	}
	v, err := a.commentView(c, d, cm)
	if err != nil {
		return err
	}
	v.Form = store.Decision{Status: cm.Status, Response: cm.Response, Note: cm.Note, Tags: cm.Tags}
	v.Team.RouteErr = errs
	if seen := formVersion(c, "route_version"); seen >= 0 && status != http.StatusConflict && v.Team.Routing != nil {
		v.Team.Routing.Version = seen // a corrected form still carries the version first shown
	}
	if p := c.FormValue("proposed_status"); p != "" || c.FormValue("proposed_response") != "" {
		v.Team.Proposal = store.Decision{Status: p, Response: normalizeText(c.FormValue("proposed_response"))}
	}
	v.Team.ReturnMsg = normalizeText(c.FormValue("return_note"))
	return a.render(c, status, "admin_comment", "处理意见", v)
}

// proposePost is a unit's proposed answer: POST /admin/c/{slug}/comments/{id}/propose
// with proposed_status, proposed_response and route_version.
func (a *app) proposePost(c echo.Context) error {
	d, cm, err := a.commentFor(c)
	if err != nil {
		return err
	}
	s := sessionFrom(c)
	dec := store.Decision{Status: c.FormValue("proposed_status"), Response: normalizeText(c.FormValue("proposed_response"))}
	c.Request().Form.Set("back_id", strconv.FormatInt(cm.ID, 10))
	err = a.store.ProposeAnswer(c.Request().Context(), a.actor(c), d.C.ID, cm.ID, s.User.Unit, dec, formVersion(c, "route_version"))
	switch {
	case errors.Is(err, store.ErrBadStatus):
		return a.teamRefused(c, d, http.StatusUnprocessableEntity, map[string]string{"proposed_status": "请选择拟处理状态。"})
	case errors.Is(err, store.ErrReasonRequired):
		return a.teamRefused(c, d, http.StatusUnprocessableEntity, map[string]string{"proposed_response": "拟“不予采纳”必须填写理由。"})
	case errors.Is(err, store.ErrConflict):
		return a.teamRefused(c, d, http.StatusConflict, map[string]string{"proposed_status": "这条意见的交办情况在您打开本页后已有变化(见上方),您的拟处理意见尚未提交。核对后可再次提交。"})
	case errors.Is(err, store.ErrNotRouted):
		return a.teamRefused(c, d, http.StatusConflict, map[string]string{"proposed_status": "联系人已采纳本单位的意见,无需再提交。"})
	case a.writeFailed(err):
		return a.teamRefused(c, d, http.StatusServiceUnavailable, map[string]string{"proposed_status": unavailableText})
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/c/%s/comments/%d?team=proposed", d.C.Slug, cm.ID))
}

// reviewPost is the officer accepting a unit's proposal (action=accept) or returning
// it with a note (action=return, return_note): POST /admin/c/{slug}/comments/{id}/review.
func (a *app) reviewPost(c echo.Context) error {
	d, cm, err := a.commentFor(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	c.Request().Form.Set("back_id", strconv.FormatInt(cm.ID, 10))
	seen := formVersion(c, "route_version")
	flash := "accepted"
	if c.FormValue("action") == "return" {
		flash = "returned"
		err = a.store.ReturnAnswer(ctx, a.actor(c), d.C.ID, cm.ID, seen, normalizeText(c.FormValue("return_note")))
	} else {
		err = a.store.AcceptAnswer(ctx, a.actor(c), d.C.ID, cm.ID, seen)
	}
	switch {
	case errors.Is(err, store.ErrReasonRequired):
		return a.teamRefused(c, d, http.StatusUnprocessableEntity, map[string]string{"return_note": "请写明退回的原因和修改要求。"})
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotRouted):
		return a.teamRefused(c, d, http.StatusConflict, map[string]string{"review": "承办单位的拟处理意见在您打开本页后已有变化(见上方),请核对后再操作。"})
	case a.writeFailed(err):
		return a.teamRefused(c, d, http.StatusServiceUnavailable, map[string]string{"review": unavailableText})
	case err != nil:
		return err
	}
	a.gen.Add(1)
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/c/%s/comments/%d?team=%s", d.C.Slug, cm.ID, flash))
}

// assignPost assigns comments to the signed-in officer (指派给我) or releases them
// (release=1): POST /admin/c/{slug}/comments/assign with ids or back_id.
func (a *app) assignPost(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := a.loadDraft(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	ids := formIDs(c)
	if id, err := strconv.ParseInt(c.FormValue("back_id"), 10, 64); err == nil && len(ids) == 0 {
		ids = []int64{id}
	}
	if len(ids) == 0 {
		return c.Redirect(http.StatusSeeOther, backTo(c, d.C.Slug, "")+url.QueryEscape("没有选中任何意见。"))
	}
	to, flash := sessionFrom(c).User.Username, "assigned"
	if c.FormValue("release") == "1" {
		to, flash = "", "released"
	}
	_, err = a.store.Assign(ctx, a.actor(c), d.C.ID, ids, to)
	if a.writeFailed(err) {
		return echo.NewHTTPError(http.StatusServiceUnavailable, unavailableText)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, backTo(c, d.C.Slug, flash))
}

type routingView struct {
	D      *draftData
	Rules  []store.RouteRule
	Units  []string
	Form   store.RouteRule
	Due    string
	Errors map[string]string
	Saved  string
}

// routingRules lists the standing rules (第十三条 → 财政局): GET /admin/c/{slug}/routing.
func (a *app) routingRules(c echo.Context) error {
	d, err := a.loadDraft(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	return a.renderRouting(c, d, http.StatusOK, routingView{Saved: c.QueryParam("saved")})
}

func (a *app) renderRouting(c echo.Context, d *draftData, status int, v routingView) error {
	ctx := c.Request().Context()
	v.D = d
	var err error
	if v.Rules, err = a.store.RouteRules(ctx, d.C.ID); err != nil {
		return err
	}
	if v.Units, err = a.store.Units(ctx); err != nil {
		return err
	}
	return a.render(c, status, "admin_routing", "交办规则", v)
}

// routingRulePost adds or replaces a standing rule (section, unit, due_days) or
// removes one (delete=1): POST /admin/c/{slug}/routing.
func (a *app) routingRulePost(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := a.loadDraft(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	r := store.RouteRule{ConsultationID: d.C.ID, SectionAnchor: c.FormValue("section"), Unit: normalizeLine(c.FormValue("unit"))}
	if c.FormValue("delete") == "1" {
		err := a.store.DeleteRouteRule(ctx, a.actor(c), d.C.ID, r.SectionAnchor)
		if a.writeFailed(err) {
			return a.renderRouting(c, d, http.StatusServiceUnavailable, routingView{Errors: map[string]string{"form": unavailableText}})
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/admin/c/"+d.C.Slug+"/routing?saved=deleted")
	}
	dueDays := strings.TrimSpace(foldWidth(c.FormValue("due_days")))
	var val validator
	val.CheckField(r.SectionAnchor == "general" || d.Section(r.SectionAnchor) != nil, "section", "请选择条款。")
	val.CheckField(r.Unit != "", "unit", "请填写承办单位,如 财政局。")
	val.CheckField(utf8.RuneCountInString(r.Unit) <= maxUnitRunes, "unit", "承办单位名称最多 40 个字。")
	if dueDays != "" {
		n, err := strconv.Atoi(dueDays)
		val.CheckField(err == nil && n >= 0 && n <= 365, "due_days", "办理期限请填 0 到 365 之间的天数。")
		r.DueDays = n
	}
	v := routingView{Form: r, Due: dueDays}
	if !val.Valid() {
		v.Errors = val.FieldErrors
		return a.renderRouting(c, d, http.StatusUnprocessableEntity, v)
	}
	n, err := a.store.SetRouteRule(ctx, a.actor(c), r)
	if a.writeFailed(err) {
		v.Errors = map[string]string{"form": unavailableText}
		return a.renderRouting(c, d, http.StatusServiceUnavailable, v)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/c/%s/routing?saved=%d", d.C.Slug, n))
}

// presence remembers who opened which comment in the last few minutes, in memory: it
// is a courtesy ("陈 is looking at this"), not a lock, and is lost at a restart.
type presence struct {
	mu   sync.Mutex
	seen map[int64]map[string]time.Time
}

// presenceTTL is how long an opened comment counts as open after the page last said so
// (it says so every presencePoll while open, with JavaScript).
const presenceTTL = 2 * time.Minute

func (p *presence) seenBy(id int64, user string, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen == nil {
		p.seen = map[int64]map[string]time.Time{}
	}
	// Sweep now and then so the map stays as small as the comments open right now.
	if len(p.seen) > 1000 {
		for cid, m := range p.seen {
			for u, t := range m {
				if now.Sub(t) > presenceTTL {
					delete(m, u)
				}
			}
			if len(m) == 0 {
				delete(p.seen, cid)
			}
		}
	}
	// An officer has one comment open at a time: opening another leaves the previous.
	for cid, m := range p.seen {
		if cid != id {
			delete(m, user)
		}
	}
	if p.seen[id] == nil {
		p.seen[id] = map[string]time.Time{}
	}
	p.seen[id][user] = now
}

// others returns who else opened the comment within presenceTTL, by name.
func (p *presence) others(id int64, user string, now time.Time) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for u, t := range p.seen[id] {
		if u != user && now.Sub(t) <= presenceTTL {
			out = append(out, u)
		}
	}
	sort.Strings(out)
	return out
}

// teamFilterText describes the routing and assignment filters for a workbook's 汇总.
func teamFilterText(f store.QueueFilter) []string {
	var parts []string
	if f.Unit != "" {
		parts = append(parts, "承办单位:"+f.Unit)
	}
	if f.Route != "" {
		parts = append(parts, "交办状态:"+store.RouteLabels[f.Route])
	}
	if !f.OverdueAt.IsZero() {
		parts = append(parts, "逾期未回复")
	}
	if f.AssignedTo != "" {
		parts = append(parts, "指派给:"+f.AssignedTo)
	}
	return parts
}
