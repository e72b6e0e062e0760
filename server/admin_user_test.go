package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"consult/store"
)

func init() {
	registerSample("admin_users", func(t *testing.T, e *testEnv) any {
		now := time.Now()
		return usersView{
			Users: []userRow{
				{User: store.User{ID: 1, Username: "admin", Role: store.RoleAdmin, CreatedAt: now}, Self: true},
				{User: store.User{ID: 2, Username: "chen", Role: store.RoleOfficer, CreatedAt: now, LockedUntil: now.Add(time.Hour)}, Locked: true},
				{User: store.User{ID: 3, Username: "<b>li</b>", Role: store.RoleCommittee, Disabled: true, CreatedAt: now}},
			},
			Roles: store.Roles, Form: newUserForm{Username: "wang", Role: store.RoleOfficer},
			Errs:  map[string]string{"username": "已被使用", "password": "太短"},
			RowID: 2, RowErrs: map[string]string{"role": "x", "password2": "不一致"}, RowRole: store.RoleCommittee, Flash: "已创建",
		}
	})
}

// acctPost posts form to path as client, with a real CSRF token from the workspace.
func (e *testEnv) acctPost(client *http.Client, path string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	_, page := e.getWith(client, "/admin")
	f := cloneValues(form)
	f.Set("_csrf", csrfFrom(e.t, page))
	return e.postWith(client, path, f, nil)
}

func (e *testEnv) userNamed(name string) *store.User {
	e.t.Helper()
	u, err := e.store.UserByName(context.Background(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// fieldError returns the error text shown in the .field (or form) around the control with id.
func fieldError(t *testing.T, page, id string) string {
	t.Helper()
	doc := parseHTML(t, page)
	n := byID(doc, id)
	if n == nil {
		t.Fatalf("no #%s in page", id)
	}
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && (strings.Contains(" "+attr(p, "class")+" ", " field ") || p.Data == "form" || p.Data == "td") {
			for _, x := range all(p, "p") {
				if strings.Contains(attr(x, "class"), "field-error") {
					return text(x)
				}
			}
			return ""
		}
	}
	return ""
}

// expectAdminOnly checks that officers and committee members get 403 on every route,
// and anonymous visitors are sent to the login page, with nothing changed.
func expectAdminOnly(t *testing.T, e *testEnv, gets []string, posts map[string]url.Values) {
	t.Helper()
	officer := e.loginAs("officer1", store.RoleOfficer)
	committee := e.loginAs("committee1", store.RoleCommittee)
	anon := newClient(t)
	for _, p := range gets {
		for name, c := range map[string]*http.Client{"officer": officer, "committee": committee} {
			if status, _ := e.getWith(c, p); status != http.StatusForbidden {
				t.Errorf("%s GET %s: %d, want 403", name, p, status)
			}
		}
		resp, err := anon.Get(e.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/login?next="+url.QueryEscape(p) {
			t.Errorf("anonymous GET %s: %d %s", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	_, loginPage := e.getWith(anon, "/admin/login")
	for p, form := range posts {
		for name, c := range map[string]*http.Client{"officer": officer, "committee": committee} {
			if resp, _ := e.acctPost(c, p, form); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s POST %s: %d, want 403", name, p, resp.StatusCode)
			}
		}
		f := cloneValues(form)
		f.Set("_csrf", csrfFrom(t, loginPage))
		resp, _ := e.postWith(anon, p, f, nil)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login") {
			t.Errorf("anonymous POST %s: %d %s", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

func TestUserRoutesAdminOnly(t *testing.T) {
	e := newTestEnv(t, "")
	victim := e.newUser("victim", store.RoleOfficer)
	id := fmt.Sprint(victim.ID)
	expectAdminOnly(t, e, []string{"/admin/users"}, map[string]url.Values{
		"/admin/users":                     {"username": {"intruder"}, "role": {"admin"}, "password": {"0123456789ab"}, "password2": {"0123456789ab"}},
		"/admin/users/" + id:               {"op": {"role"}, "role": {"admin"}},
		"/admin/users/" + id + "/password": {"password": {"0123456789ab"}, "password2": {"0123456789ab"}},
	})
	if _, err := e.store.UserByName(context.Background(), "intruder"); !isNotFound(err) {
		t.Errorf("a non-admin created a user: %v", err)
	}
	if u := e.userNamed("victim"); u.Role != store.RoleOfficer || u.PasswordHash != victim.PasswordHash {
		t.Errorf("a non-admin changed a user: %+v", u)
	}
	// The workspace links to these pages for admins only.
	admin := e.loginAs("boss", store.RoleAdmin)
	if _, page := e.getWith(admin, "/admin"); !strings.Contains(page, `href="/admin/users"`) {
		t.Error("admin home does not link to account management")
	}
}

func TestUserRoutesRefuseWithoutCSRF(t *testing.T) {
	e := newTestEnv(t, "")
	admin := e.loginAs("boss", store.RoleAdmin)
	chen := e.newUser("chen", store.RoleOfficer)
	posts := map[string]url.Values{
		"/admin/users":                                   {"username": {"wang"}, "role": {"officer"}, "password": {"0123456789ab"}, "password2": {"0123456789ab"}},
		fmt.Sprintf("/admin/users/%d", chen.ID):          {"op": {"disable"}},
		fmt.Sprintf("/admin/users/%d/password", chen.ID): {"password": {"0123456789ab"}, "password2": {"0123456789ab"}},
	}
	for p, form := range posts {
		for _, token := range []string{"", "forged-token"} {
			f := cloneValues(form)
			if token != "" {
				f.Set("_csrf", token)
			}
			if resp, _ := e.postWith(admin, p, f, nil); resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with token %q: %d, want 403", p, token, resp.StatusCode)
			}
		}
	}
	if _, err := e.store.UserByName(context.Background(), "wang"); !isNotFound(err) {
		t.Errorf("user created without a CSRF token: %v", err)
	}
	if u := e.userNamed("chen"); u.Disabled || u.PasswordHash != chen.PasswordHash {
		t.Errorf("user changed without a CSRF token: %+v", u)
	}
}

func TestCreateUser(t *testing.T) {
	e := newTestEnv(t, "")
	admin := e.loginAs("boss", store.RoleAdmin)
	e.newUser("chen", store.RoleOfficer)
	const pw = "长城长江黄河泰山华山" // ten characters, not ten bytes
	good := url.Values{"username": {"wang"}, "role": {store.RoleCommittee}, "password": {pw}, "password2": {pw}}
	with := func(k, v string) url.Values {
		f := cloneValues(good)
		f.Set(k, v)
		return f
	}
	bad := []struct {
		form  url.Values
		field string
		msg   string
	}{
		{with("username", ""), "username", "请填写用户名"},
		{with("username", "wang li"), "username", "不能有空格"},
		{with("username", "<script>"), "username", "只能包含"},
		{with("username", "System"), "username", "保留"},
		{with("username", "CHEN"), "username", "“CHEN”已被使用"}, // names are case-insensitive
		{with("role", "root"), "role", "请选择角色"},
		{with("password", "short pw"), "password", "至少 10 个字符"},
		{with("password2", pw+"x"), "password2", "不一致"},
	}
	for _, b := range bad {
		resp, page := e.acctPost(admin, "/admin/users", b.form)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%v: status %d", b.form, resp.StatusCode)
			continue
		}
		if got := fieldError(t, page, b.field); !strings.Contains(got, b.msg) {
			t.Errorf("%v: error next to %s = %q, want %q", b.form, b.field, got, b.msg)
		}
		if strings.Contains(page, pw) {
			t.Errorf("%v: the password was echoed back", b.form)
		}
		doc := parseHTML(t, page)
		if got := attr(byID(doc, "username"), "value"); got != b.form.Get("username") {
			t.Errorf("username not kept: %q", got)
		}
	}
	if n, _ := e.store.CountUsers(context.Background()); n != 2 {
		t.Fatalf("%d users after refused forms, want 2", n)
	}
	resp, _ := e.acctPost(admin, "/admin/users", with("username", "  ｗａｎｇ ")) // full-width, as a Chinese IME types it
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	u := e.userNamed("wang")
	if u.Role != store.RoleCommittee || u.Disabled {
		t.Errorf("created %+v", u)
	}
	if loc := resp.Header.Get("Location"); loc != fmt.Sprintf("/admin/users?done=added&id=%d#user-%d", u.ID, u.ID) {
		t.Errorf("redirect to %s", loc)
	}
	_, page := e.getWith(admin, resp.Header.Get("Location"))
	doc := parseHTML(t, page)
	if got := text(byID(doc, "flash")); got != "已创建账户“wang”。" {
		t.Errorf("flash %q", got)
	}
	row := byID(doc, fmt.Sprintf("user-%d", u.ID))
	if row == nil || !strings.Contains(text(row), "起草委员会(只读)") || !strings.Contains(text(row), "启用") ||
		!strings.Contains(text(row), time.Now().In(beijing).Format("2006-01-02")) {
		t.Errorf("new user's row: %q", text(row))
	}
	// The list is by name: boss, chen, wang.
	var names []string
	for _, th := range all(byID(doc, "users"), "th") {
		if attr(th, "scope") == "row" {
			names = append(names, strings.Fields(text(th))[0])
		}
	}
	if strings.Join(names, ",") != "boss,chen,wang" {
		t.Errorf("users listed %v", names)
	}
	// The new account works.
	c := newClient(t)
	if resp := e.login(c, "wang", pw, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("new user cannot log in: %d", resp.StatusCode)
	}
	if status, _ := e.getWith(c, "/admin"); status != http.StatusOK {
		t.Errorf("new user's workspace: %d", status)
	}
	if status, _ := e.getWith(c, "/admin/users"); status != http.StatusForbidden {
		t.Errorf("a committee member may not manage accounts: %d", status)
	}
}

func TestDisableEndsSessionsAndEnableRestores(t *testing.T) {
	e := newTestEnv(t, "")
	admin := e.loginAs("boss", store.RoleAdmin)
	li := e.loginAs("li", store.RoleOfficer)
	id := e.userNamed("li").ID
	if status, _ := e.getWith(li, "/admin"); status != http.StatusOK {
		t.Fatalf("li before: %d", status)
	}
	resp, _ := e.acctPost(admin, fmt.Sprintf("/admin/users/%d", id), url.Values{"op": {"disable"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	_, page := e.getWith(admin, resp.Header.Get("Location"))
	doc := parseHTML(t, page)
	if row := text(byID(doc, fmt.Sprintf("user-%d", id))); !strings.Contains(row, "已停用") || !strings.Contains(row, "启用") {
		t.Errorf("disabled row: %q", row)
	}
	if !strings.Contains(text(byID(doc, "flash")), "已停用账户“li”") {
		t.Errorf("flash: %q", text(byID(doc, "flash")))
	}
	// Their next request is sent to the login page, and they cannot log in again.
	r, err := li.Get(e.srv.URL + "/admin")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/admin/login") {
		t.Errorf("disabled user's next request: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if resp := e.login(newClient(t), "li", testPassword, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("disabled user logged in: %d", resp.StatusCode)
	}
	if resp, _ := e.acctPost(admin, fmt.Sprintf("/admin/users/%d", id), url.Values{"op": {"enable"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("enable: %d", resp.StatusCode)
	}
	// The old session was ended, not just suspended: it stays dead after re-enabling.
	if status, _ := e.getWith(li, "/admin"); status != http.StatusSeeOther {
		t.Errorf("disabled user's old session came back: %d", status)
	}
	if resp := e.login(newClient(t), "li", testPassword, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("re-enabled user cannot log in: %d", resp.StatusCode)
	}
	// Enabling an enabled account changes nothing and writes nothing.
	before, _ := e.store.ListAudit(context.Background(), store.AuditFilter{Action: "user_change"})
	resp, _ = e.acctPost(admin, fmt.Sprintf("/admin/users/%d", id), url.Values{"op": {"enable"}})
	if !strings.Contains(resp.Header.Get("Location"), "done=same") {
		t.Errorf("no-op: %s", resp.Header.Get("Location"))
	}
	after, _ := e.store.ListAudit(context.Background(), store.AuditFilter{Action: "user_change"})
	if len(after) != len(before) || len(after) != 2 {
		t.Errorf("audit entries for user_change: %d then %d, want 2", len(before), len(after))
	}
	// Unknown operations and users.
	if resp, _ := e.acctPost(admin, fmt.Sprintf("/admin/users/%d", id), url.Values{"op": {"delete"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown op: %d", resp.StatusCode)
	}
	if resp, _ := e.acctPost(admin, "/admin/users/999", url.Values{"op": {"disable"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown user: %d", resp.StatusCode)
	}
	if resp, _ := e.acctPost(admin, "/admin/users/x", url.Values{"op": {"disable"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("bad id: %d", resp.StatusCode)
	}
}

func TestRoleChangeAndSelfDemotionRefused(t *testing.T) {
	e := newTestEnv(t, "")
	admin := e.loginAs("boss", store.RoleAdmin)
	me := e.userNamed("boss")
	second := e.loginAs("deputy", store.RoleAdmin)
	deputy := e.userNamed("deputy")
	self := fmt.Sprintf("/admin/users/%d", me.ID)

	for _, c := range []struct {
		form  url.Values
		field string
		msg   string
	}{
		{url.Values{"op": {"role"}, "role": {store.RoleOfficer}}, "role", "不能取消自己的管理员角色"},
		{url.Values{"op": {"role"}, "role": {store.RoleCommittee}}, "role", "不能取消自己的管理员角色"},
		{url.Values{"op": {"disable"}}, "status", "不能停用自己的账户"},
	} {
		resp, page := e.acctPost(admin, self, c.form)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%v on self: %d", c.form, resp.StatusCode)
			continue
		}
		row := byID(parseHTML(t, page), fmt.Sprintf("user-%d", me.ID))
		if row == nil || !strings.Contains(text(row), c.msg) {
			t.Errorf("%v: message %q not in own row", c.form, c.msg)
		}
	}
	if u := e.userNamed("boss"); u.Role != store.RoleAdmin || u.Disabled {
		t.Fatalf("self-demotion applied: %+v", u)
	}
	if status, _ := e.getWith(admin, "/admin/users"); status != http.StatusOK {
		t.Fatalf("admin lost access: %d", status)
	}
	// Own row offers no role, status or reset controls.
	_, page := e.getWith(admin, "/admin/users")
	row := byID(parseHTML(t, page), fmt.Sprintf("user-%d", me.ID))
	if len(all(row, "form")) != 0 || len(all(row, "select")) != 0 {
		t.Error("own row has forms")
	}
	// Demoting another admin works at once: their open session loses admin pages.
	resp, _ := e.acctPost(admin, fmt.Sprintf("/admin/users/%d", deputy.ID), url.Values{"op": {"role"}, "role": {store.RoleOfficer}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("demote deputy: %d", resp.StatusCode)
	}
	if u := e.userNamed("deputy"); u.Role != store.RoleOfficer {
		t.Errorf("deputy role %s", u.Role)
	}
	if status, _ := e.getWith(second, "/admin/users"); status != http.StatusForbidden {
		t.Errorf("demoted admin still manages accounts: %d", status)
	}
	if status, _ := e.getWith(second, "/admin"); status != http.StatusOK {
		t.Errorf("demoted admin lost the workspace: %d", status)
	}
	// A bad role is refused next to that user's select, which keeps the row's value.
	resp, page = e.acctPost(admin, fmt.Sprintf("/admin/users/%d", deputy.ID), url.Values{"op": {"role"}, "role": {"root"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(fieldError(t, page, fmt.Sprintf("role-%d", deputy.ID)), "请选择角色") {
		t.Errorf("bad role: %d", resp.StatusCode)
	}
	// And the deputy, now an officer, can be made an admin again.
	if resp, _ := e.acctPost(admin, fmt.Sprintf("/admin/users/%d", deputy.ID), url.Values{"op": {"role"}, "role": {store.RoleAdmin}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("promote: %d", resp.StatusCode)
	}
	if status, _ := e.getWith(second, "/admin/users"); status != http.StatusOK {
		t.Errorf("promoted deputy: %d", status)
	}
}

func TestAdminResetsPassword(t *testing.T) {
	e := newTestEnv(t, "")
	admin := e.loginAs("boss", store.RoleAdmin)
	me := e.userNamed("boss")
	phone := e.loginAs("chen", store.RoleOfficer)
	laptop := newClient(t)
	if resp := e.login(laptop, "chen", testPassword, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatal("second login")
	}
	chen := e.userNamed("chen")
	path := fmt.Sprintf("/admin/users/%d/password", chen.ID)
	const newPW = "new password 2023"

	for _, c := range []struct {
		path  string
		form  url.Values
		field string
		msg   string
	}{
		{path, url.Values{"password": {"short"}, "password2": {"short"}}, fmt.Sprintf("pw-%d", chen.ID), "至少 10 个字符"},
		{path, url.Values{"password": {newPW}, "password2": {newPW + "!"}}, fmt.Sprintf("pw2-%d", chen.ID), "不一致"},
	} {
		resp, page := e.acctPost(admin, c.path, c.form)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%v: %d", c.form, resp.StatusCode)
			continue
		}
		if got := fieldError(t, page, c.field); !strings.Contains(got, c.msg) {
			t.Errorf("%v: error %q, want %q", c.form, got, c.msg)
		}
		details := all(byID(parseHTML(t, page), fmt.Sprintf("user-%d", chen.ID)), "details")
		if len(details) != 1 || !hasAttr(details[0], "open") {
			t.Errorf("%v: the reset form is not left open", c.form)
		}
	}
	// Not for one's own password: that needs the current one, at /admin/password.
	resp, page := e.acctPost(admin, fmt.Sprintf("/admin/users/%d/password", me.ID), url.Values{"password": {newPW}, "password2": {newPW}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(byID(parseHTML(t, page), fmt.Sprintf("user-%d", me.ID))), "修改密码") {
		t.Errorf("self reset: %d", resp.StatusCode)
	}
	if u := e.userNamed("boss"); u.PasswordHash != me.PasswordHash {
		t.Error("own password reset")
	}
	if u := e.userNamed("chen"); u.PasswordHash != chen.PasswordHash {
		t.Fatal("password changed by a refused form")
	}

	resp, _ = e.acctPost(admin, path, url.Values{"password": {newPW}, "password2": {newPW}})
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "done=password") {
		t.Fatalf("reset: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	for name, c := range map[string]*http.Client{"phone": phone, "laptop": laptop} {
		r, err := c.Get(e.srv.URL + "/admin")
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/admin/login") {
			t.Errorf("chen's %s session survived the reset: %d", name, r.StatusCode)
		}
	}
	if resp := e.login(newClient(t), "chen", testPassword, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("old password still works: %d", resp.StatusCode)
	}
	if resp := e.login(newClient(t), "chen", newPW, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("new password does not work: %d", resp.StatusCode)
	}
	// The admin's own session is untouched.
	if status, _ := e.getWith(admin, "/admin/users"); status != http.StatusOK {
		t.Errorf("admin after reset: %d", status)
	}
}

func TestAdminUnlocksAccount(t *testing.T) {
	e := newTestEnv(t, "")
	admin := e.loginAs("boss", store.RoleAdmin)
	chen := e.newUser("chen", store.RoleOfficer)
	c := newClient(t)
	for i := 0; i < maxLoginFailures; i++ {
		e.login(c, "chen", "wrong password!", nil)
	}
	if resp := e.login(c, "chen", testPassword, nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("not locked: %d", resp.StatusCode)
	}
	_, page := e.getWith(admin, "/admin/users")
	row := byID(parseHTML(t, page), fmt.Sprintf("user-%d", chen.ID))
	until := e.userNamed("chen").LockedUntil.In(beijing).Format("2006-01-02 15:04")
	if !strings.Contains(text(row), "锁定至 "+until) {
		t.Errorf("row does not show the lock: %q", text(row))
	}
	resp, _ := e.acctPost(admin, fmt.Sprintf("/admin/users/%d", chen.ID), url.Values{"op": {"unlock"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("unlock: %d", resp.StatusCode)
	}
	_, page = e.getWith(admin, resp.Header.Get("Location"))
	doc := parseHTML(t, page)
	if strings.Contains(text(byID(doc, fmt.Sprintf("user-%d", chen.ID))), "锁定至") || !strings.Contains(text(byID(doc, "flash")), "解除") {
		t.Error("still shown as locked")
	}
	if resp := e.login(c, "chen", testPassword, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after unlock: %d", resp.StatusCode)
	}
	// Unlocking an account that is not locked changes nothing and writes nothing.
	resp, _ = e.acctPost(admin, fmt.Sprintf("/admin/users/%d", chen.ID), url.Values{"op": {"unlock"}})
	if !strings.Contains(resp.Header.Get("Location"), "done=same") {
		t.Errorf("unlock again: %s", resp.Header.Get("Location"))
	}
	if es, _ := e.store.ListAudit(context.Background(), store.AuditFilter{Action: "user_unlock"}); len(es) != 1 || es[0].Username != "boss" {
		t.Errorf("user_unlock entries: %+v", es)
	}
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}
