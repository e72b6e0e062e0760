package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"consult/store"
)

// The audit-log viewer (admin only). It only reads: the log is append-only, and the
// database refuses UPDATE and DELETE on it (see migration 0004 and store/audit_test.go).
func (a *app) auditRoutes(g *echo.Group) {
	g.GET("/audit", a.auditList, a.requireRole(onlyAdmin...))
}

// auditPageSize is how many entries one page shows.
const auditPageSize = 50

// auditActions are the action codes the store writes, in the order the filter offers
// them, with what an officer reads.
var auditActions = []auditAction{
	{"login", "登录"},
	{"login_failed", "登录失败"},
	{"logout", "退出登录"},
	{"decide", "处理意见"},
	{"decide_group", "处理同类意见"},
	{"bulk_decide", "批量处理"},
	{"bulk_item", "批量处理(单条意见)"},
	{"record", "录入信函/电话意见"},
	{"window", "修改征集时间"},
	{"section_window", "修改条款征集时间"},
	{"consultation_create", "发布征求意见"},
	{"export", "导出/下载"},
	{"user_add", "新建账户"},
	{"user_change", "修改账户角色/状态"},
	{"user_unlock", "解除账户锁定"},
	{"password_change", "修改本人密码"},
	{"password_reset", "管理员重置密码"},
	{"restore", "从副本恢复数据库"},
}

type auditAction struct{ Code, Label string }

// auditActionLabel is the Chinese name of an action code (the code itself if unknown).
func auditActionLabel(code string) string {
	for _, x := range auditActions {
		if x.Code == code {
			return x.Label
		}
	}
	return code
}

func init() {
	funcs["auditAction"] = auditActionLabel
}

// auditCodeRE is what an action code looks like; codes the viewer has no label for
// yet can still be filtered on.
var auditCodeRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// auditForm is the filter as typed.
type auditForm struct {
	User, Action, Consultation, From, To, Target string
}

type auditRow struct {
	store.AuditEntry
	Time          string // Beijing, to the second
	Consultation  string // short title, if the entry belongs to one
	Before, After string // JSON, pretty-printed on one line
}

type auditView struct {
	Form          auditForm
	Errs          map[string]string
	Rows          []auditRow
	Users         []string // suggestions for the user field
	Actions       []auditAction
	OtherAction   bool // the filter's action has no label here
	Consultations []store.Consultation
	NextURL       string // older entries
	Paged         bool   // not the first page
	FirstURL      string // newest entries with the same filter
}

// auditList is GET /admin/audit: newest first, filtered by user, action, consultation
// (slug), Beijing dates from/to (inclusive), exact target ("comment:42"); older pages
// by ?before=<id> (keyset, so new entries never shift a page).
func (a *app) auditList(c echo.Context) error {
	ctx := c.Request().Context()
	q := c.QueryParams()
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	form := auditForm{User: normalizeLine(get("user")), Action: get("action"), Consultation: get("consultation"),
		From: get("from"), To: get("to"), Target: strings.Join(strings.Fields(foldWidth(get("target"))), "")}
	cs, err := a.store.ListConsultations(ctx)
	if err != nil {
		return err
	}
	users, err := a.store.ListUsers(ctx)
	if err != nil {
		return err
	}
	v := auditView{Form: form, Consultations: cs, Users: []string{"system"}, Actions: auditActions,
		OtherAction: form.Action != "" && auditActionLabel(form.Action) == form.Action}
	for _, u := range users {
		v.Users = append(v.Users, u.Username)
	}

	f := store.AuditFilter{Username: form.User, Target: form.Target, Limit: auditPageSize + 1}
	var val validator
	if form.Action != "" {
		val.CheckField(auditCodeRE.MatchString(form.Action), "action", "请从列表中选择操作类型。")
		f.Action = form.Action
	}
	titles := map[int64]string{}
	for _, x := range cs {
		titles[x.ID] = excerpt(strings.ReplaceAll(x.Title, "\n", ""), 18)
		if x.Slug == form.Consultation {
			f.ConsultationID = x.ID
		}
	}
	val.CheckField(form.Consultation == "" || f.ConsultationID != 0, "consultation", "没有这个征求意见。")
	if form.From != "" {
		t, err := time.ParseInLocation("2006-01-02", form.From, beijing)
		val.CheckField(err == nil, "from", "请按 2023-01-15 的格式填写日期。")
		f.From = t
	}
	if form.To != "" {
		t, err := time.ParseInLocation("2006-01-02", form.To, beijing)
		val.CheckField(err == nil, "to", "请按 2023-01-15 的格式填写日期。")
		if err == nil {
			f.To = t.AddDate(0, 0, 1) // the whole day
			val.CheckField(f.From.IsZero() || f.From.Before(f.To), "to", "结束日期不能早于开始日期。")
		}
	}
	if b := get("before"); b != "" {
		id, err := strconv.ParseInt(b, 10, 64)
		if err != nil || id <= 0 {
			return echo.NewHTTPError(http.StatusBadRequest, "分页参数有误。")
		}
		f.BeforeID, v.Paged = id, true
	}

	// The filter as a query string, for the page links.
	kept := url.Values{}
	for k, x := range map[string]string{"user": form.User, "action": form.Action, "consultation": form.Consultation,
		"from": form.From, "to": form.To, "target": form.Target} {
		if x != "" {
			kept.Set(k, x)
		}
	}
	v.FirstURL = "/admin/audit"
	if len(kept) > 0 {
		v.FirstURL += "?" + kept.Encode()
	}

	if !val.Valid() {
		v.Errs = val.FieldErrors
		return a.render(c, http.StatusUnprocessableEntity, "admin_audit", "操作日志", v)
	}
	entries, err := a.store.ListAudit(ctx, f)
	if err != nil {
		return err
	}
	if len(entries) > auditPageSize {
		entries = entries[:auditPageSize]
		kept.Set("before", strconv.FormatInt(entries[len(entries)-1].ID, 10))
		v.NextURL = "/admin/audit?" + kept.Encode()
	}
	for _, e := range entries {
		v.Rows = append(v.Rows, auditRow{AuditEntry: e, Time: e.At.In(beijing).Format("2006-01-02 15:04:05"),
			Consultation: titles[e.ConsultationID], Before: auditJSON(e.BeforeJSON), After: auditJSON(e.AfterJSON)})
	}
	return a.render(c, http.StatusOK, "admin_audit", "操作日志", v)
}

// auditJSON pretty-prints a stored before/after value on one line for reading:
// `role: "officer", disabled: false`. Keys stay as stored; Unix times under time-like
// keys get their Beijing time beside them. Text that is not JSON is shown as it is.
// (The template escapes the result.)
func auditJSON(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var b bytes.Buffer
	if err := writeAuditValue(&b, dec, "", true); err != nil {
		return s
	}
	if _, err := dec.Token(); err != io.EOF {
		return s // trailing data
	}
	return b.String()
}

var plainKeyRE = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// isTimeKey reports keys whose integer values are Unix times.
func isTimeKey(k string) bool {
	k = strings.ToLower(k)
	return strings.HasSuffix(k, "_at") || strings.HasSuffix(k, "_until") ||
		k == "from" || k == "to" || k == "opens" || k == "closes"
}

func writeAuditValue(b *bytes.Buffer, dec *json.Decoder, key string, top bool) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			if !top {
				b.WriteString("{")
			}
			for i := 0; dec.More(); i++ {
				if i > 0 {
					b.WriteString(", ")
				}
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k, _ := kt.(string)
				if plainKeyRE.MatchString(k) {
					b.WriteString(k)
				} else {
					b.WriteString(strconv.Quote(k))
				}
				b.WriteString(": ")
				if err := writeAuditValue(b, dec, k, false); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // '}'
				return err
			}
			if !top {
				b.WriteString("}")
			}
		case '[':
			b.WriteString("[")
			for i := 0; dec.More(); i++ {
				if i > 0 {
					b.WriteString(", ")
				}
				if err := writeAuditValue(b, dec, "", false); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return err
			}
			b.WriteString("]")
		default:
			return fmt.Errorf("unexpected %v", t)
		}
	case string:
		b.WriteString(strconv.Quote(t))
	case json.Number:
		b.WriteString(t.String())
		if n, err := t.Int64(); err == nil && n >= 1e9 && isTimeKey(key) {
			b.WriteString(" (" + time.Unix(n, 0).In(beijing).Format("2006-01-02 15:04:05") + ")")
		}
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case nil:
		b.WriteString("null")
	}
	return nil
}
