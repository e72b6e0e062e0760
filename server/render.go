package main

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Beijing time must not depend on the host's zoneinfo
	"unicode"

	"github.com/labstack/echo/v4"

	"consult/store"
	"consult/templates"
)

// beijing is the time zone every date a visitor or officer reads is shown in.
var beijing = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err) // cannot happen: time/tzdata is embedded
	}
	return loc
}()

var funcs = template.FuncMap{
	"bjtime":          func(t time.Time) string { return t.In(beijing).Format("2006年1月2日 15:04") },
	"bjdate":          func(t time.Time) string { return t.In(beijing).Format("2006-01-02 15:04") },
	"isotime":         func(t time.Time) string { return t.In(beijing).Format(time.RFC3339) },
	"lines":           func(s string) []string { return strings.Split(s, "\n") },
	"add":             func(a, b int) int { return a + b },
	"join":            func(ss []string) string { return strings.Join(ss, "") },
	"roleLabel":       func(r string) string { return roleLabels[r] },
	"statusLabel":     func(s string) string { return store.StatusLabels[s] },
	"channelLabel":    func(s string) string { return store.ChannelLabels[s] },
	"excerpt":         excerpt,
	"mask":            maskContact,
	"statuses":        func() []string { return store.Statuses },
	"identities":      func() []string { return identities },
	"channelsOffline": func() []string { return []string{"letter", "email", "phone"} },
	"queryOf": func(qs template.URL) url.Values {
		v, _ := url.ParseQuery(string(qs))
		return v
	},
}

// parsePages builds one template set per page: base.html, the partials and the page.
func parsePages() (map[string]*template.Template, error) {
	files, err := fs.Glob(templates.FS, "pages/*.html")
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, errors.New("templates: no pages embedded")
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		t, err := template.New(name).Funcs(funcs).ParseFS(templates.FS, "base.html", "partials/*.html", f)
		if err != nil {
			return nil, fmt.Errorf("templates: %s: %w", f, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// view is what every page template gets: the layout's needs plus the page's own data.
type view struct {
	User      *store.User // the signed-in officer, on workspace pages
	Title     string
	Prefs     prefs
	Path      string // the page's own path, for reading-control links
	CSRF      string
	StaticVer string
	Demo      bool   // `consult demo`: show the 演示数据 banner
	BaseURL   string // server.base_url, for absolute links in sharing metadata
	D         any
}

// renderBytes executes a page into memory so a template error never sends half a page.
func (a *app) renderBytes(page, title string, p prefs, reqPath, csrf string, data any, user ...*store.User) ([]byte, error) {
	t, ok := a.pages[page]
	if !ok {
		return nil, fmt.Errorf("render: no page %q", page)
	}
	var buf bytes.Buffer
	v := view{Title: title, Prefs: p, Path: reqPath, CSRF: csrf, StaticVer: a.static, Demo: a.cfg.demo, BaseURL: a.cfg.Server.BaseURL, D: data}
	if len(user) > 0 {
		v.User = user[0]
	}
	if err := t.ExecuteTemplate(&buf, "base", v); err != nil {
		return nil, fmt.Errorf("render %s: %w", page, err)
	}
	return buf.Bytes(), nil
}

func (a *app) render(c echo.Context, status int, page, title string, data any) error {
	csrf, _ := c.Get("csrf").(string)
	var user *store.User
	if s := sessionFrom(c); s != nil {
		user = &s.User
	}
	b, err := a.renderBytes(page, title, prefsFrom(c), c.Request().URL.Path, csrf, data, user)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, b)
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func isChinese(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// windowStatus describes a comment window at now in Beijing time.
type windowStatus struct {
	State string // upcoming, open, closed
	Label string // 未开始 / 征集中 (N 天后截止) / 已结束
}

func statusAt(now, opens, closes time.Time) windowStatus {
	switch {
	case now.Before(opens):
		return windowStatus{"upcoming", "未开始"}
	case !now.Before(closes):
		return windowStatus{"closed", "已结束"}
	}
	y1, m1, d1 := now.In(beijing).Date()
	y2, m2, d2 := closes.In(beijing).Date()
	days := int(time.Date(y2, m2, d2, 0, 0, 0, 0, time.UTC).Sub(time.Date(y1, m1, d1, 0, 0, 0, 0, time.UTC)).Hours() / 24)
	if days <= 0 {
		return windowStatus{"open", "征集中 (今天 " + closes.In(beijing).Format("15:04") + " 截止)"}
	}
	return windowStatus{"open", fmt.Sprintf("征集中 (%d 天后截止)", days)}
}

func itoa(i int) string { return strconv.Itoa(i) }

// excerpt shortens text to n characters on one line.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// maskContact hides the middle of a phone number or the local part of an e-mail
// address, for roles that may not see contact data.
func maskContact(s string) string {
	if s == "" {
		return ""
	}
	if at := strings.IndexByte(s, '@'); at > 0 {
		r := []rune(s[:at])
		return string(r[:1]) + "***" + s[at:]
	}
	r := []rune(s)
	if len(r) <= 4 {
		return "****"
	}
	keep := 3
	if len(r) < 8 {
		keep = 1
	}
	return string(r[:keep]) + strings.Repeat("*", len(r)-keep-4) + string(r[len(r)-4:])
}
