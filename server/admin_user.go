package main

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"consult/store"
)

// Account management (admin only): list, create, change role, disable or enable,
// unlock, and reset another user's password. Every change is audited by the store.
func (a *app) userRoutes(g *echo.Group) {
	admin := a.requireRole(onlyAdmin...)
	g.GET("/users", a.usersList, admin)
	g.POST("/users", a.userCreate, admin)
	g.POST("/users/:id", a.userChange, admin)
	g.POST("/users/:id/password", a.userResetPassword, admin)
}

// Limits on a user name: what people type at the login form, no spaces.
const (
	minUsernameRunes = 2
	maxUsernameRunes = 32
)

// reservedUsernames are names the audit log uses for actors that are not accounts.
var reservedUsernames = []string{"system"}

// userDone are the messages shown after a successful change (?done=code&id=user id).
var userDone = map[string]string{
	"added":    "已创建账户“%s”。",
	"role":     "已修改账户“%s”的角色。",
	"disable":  "已停用账户“%s”,其登录已全部退出。",
	"enable":   "已启用账户“%s”。",
	"unlock":   "已解除账户“%s”的锁定。",
	"password": "已重置账户“%s”的密码,其登录已全部退出。",
	"same":     "账户“%s”没有变化。",
}

type userRow struct {
	store.User
	Locked bool // locked after too many wrong passwords, until LockedUntil
	Self   bool // the signed-in admin
}

type newUserForm struct {
	Username, Role, Unit string
}

type usersView struct {
	Users []userRow
	Roles []string
	Form  newUserForm       // the create form, kept on error
	Errs  map[string]string // the create form's field errors
	// A row's own form (role/status or password reset) that failed: its user id,
	// the field errors and, for a role change, the role asked for.
	RowID   int64
	RowErrs map[string]string
	RowRole string
	Flash   string
}

// usersView builds the page; users are listed by name.
func (a *app) usersView(c echo.Context) (usersView, error) {
	list, err := a.store.ListUsers(c.Request().Context())
	if err != nil {
		return usersView{}, err
	}
	me := sessionFrom(c).User.ID
	now := a.now()
	v := usersView{Roles: store.Roles, Form: newUserForm{Role: store.RoleOfficer}}
	for _, u := range list {
		v.Users = append(v.Users, userRow{User: u, Locked: now.Before(u.LockedUntil), Self: u.ID == me})
	}
	return v, nil
}

// usersList is GET /admin/users.
func (a *app) usersList(c echo.Context) error {
	v, err := a.usersView(c)
	if err != nil {
		return err
	}
	if msg, ok := userDone[c.QueryParam("done")]; ok {
		id, _ := strconv.ParseInt(c.QueryParam("id"), 10, 64)
		for _, u := range v.Users {
			if u.ID == id {
				v.Flash = fmt.Sprintf(msg, u.Username)
			}
		}
	}
	return a.render(c, http.StatusOK, "admin_users", "账户管理", v)
}

// validUsername allows letters (Chinese included), digits and . _ - ; no spaces.
func validUsername(s string) bool {
	n := utf8.RuneCountInString(s)
	if n < minUsernameRunes || n > maxUsernameRunes {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != '_' && r != '-' {
			return false
		}
	}
	return true
}

// userCreate is POST /admin/users: username, role, password, password2.
func (a *app) userCreate(c echo.Context) error {
	ctx := c.Request().Context()
	f := newUserForm{Username: foldWidth(normalizeLine(c.FormValue("username"))), Role: c.FormValue("role"), Unit: normalizeLine(c.FormValue("unit"))}
	pw, pw2 := c.FormValue("password"), c.FormValue("password2")
	var val validator
	val.CheckField(f.Username != "", "username", "请填写用户名。")
	val.CheckField(validUsername(f.Username), "username", "用户名为 2–32 个字符,只能包含字母、汉字、数字和 . _ -,不能有空格。")
	val.CheckField(!slices.Contains(reservedUsernames, strings.ToLower(f.Username)), "username", "这个用户名保留给系统使用,请换一个。")
	val.CheckField(roleLabels[f.Role] != "", "role", "请选择角色。")
	val.CheckField(f.Role != store.RoleDepartment || f.Unit != "", "unit", "承办单位账户须填写所属单位,如 财政局。")
	val.CheckField(utf8.RuneCountInString(f.Unit) <= maxUnitRunes, "unit", "单位名称最多 40 个字。")
	if f.Role != store.RoleDepartment {
		f.Unit = ""
	}
	val.CheckField(utf8.RuneCountInString(pw) >= minPasswordRunes, "password", fmt.Sprintf("密码至少 %d 个字符。", minPasswordRunes))
	val.CheckField(pw == pw2, "password2", "两次输入的密码不一致。")
	var u *store.User
	if val.Valid() {
		h, err := hashPassword(pw)
		if err != nil {
			return err
		}
		u, err = a.store.CreateUserInUnit(ctx, a.actor(c), f.Username, h, f.Role, f.Unit)
		if errors.Is(err, store.ErrExists) {
			val.CheckField(false, "username", "用户名“"+f.Username+"”已被使用。")
		} else if err != nil {
			return err
		}
	}
	if !val.Valid() {
		v, err := a.usersView(c)
		if err != nil {
			return err
		}
		v.Form, v.Errs = f, val.FieldErrors
		return a.render(c, http.StatusUnprocessableEntity, "admin_users", "账户管理", v)
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/users?done=added&id=%d#user-%d", u.ID, u.ID))
}

// userFor reads the :id of a user route.
func (a *app) userFor(c echo.Context) (*store.User, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return nil, echo.ErrNotFound
	}
	return a.store.UserByID(c.Request().Context(), id)
}

// rowError re-renders the list with an error next to one user's form.
func (a *app) rowError(c echo.Context, u *store.User, role string, errs map[string]string) error {
	v, err := a.usersView(c)
	if err != nil {
		return err
	}
	v.RowID, v.RowErrs, v.RowRole = u.ID, errs, role
	return a.render(c, http.StatusUnprocessableEntity, "admin_users", "账户管理", v)
}

// userChange is POST /admin/users/:id with op = role (and role), disable, enable or
// unlock. An admin cannot demote or disable themselves, so there is always an admin.
func (a *app) userChange(c echo.Context) error {
	ctx := c.Request().Context()
	u, err := a.userFor(c)
	if err != nil {
		return err
	}
	self := u.ID == sessionFrom(c).User.ID
	op := c.FormValue("op")
	role, disabled := u.Role, u.Disabled
	var val validator
	switch op {
	case "role":
		role = c.FormValue("role")
		val.CheckField(roleLabels[role] != "", "role", "请选择角色。")
		val.CheckField(!self || role == store.RoleAdmin, "role", "不能取消自己的管理员角色;请让另一位管理员操作。")
		val.CheckField((role == store.RoleDepartment) == (u.Role == store.RoleDepartment), "role",
			"承办单位账户与办公室账户不能互相转换:请为其新建账户,并停用原账户。")
	case "disable":
		disabled = true
		val.CheckField(!self, "status", "不能停用自己的账户。")
	case "enable":
		disabled = false
	case "unlock":
		done := "same"
		if a.now().Before(u.LockedUntil) || u.FailedLogins > 0 {
			if err := a.store.UnlockUser(ctx, a.actor(c), u.ID); err != nil {
				return err
			}
			done = "unlock"
		}
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/users?done=%s&id=%d#user-%d", done, u.ID, u.ID))
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "不支持的操作。")
	}
	if !val.Valid() {
		return a.rowError(c, u, role, val.FieldErrors)
	}
	done := op
	if role == u.Role && disabled == u.Disabled {
		done = "same"
	} else if err := a.store.SetUserRole(ctx, a.actor(c), u.ID, role, disabled); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/users?done=%s&id=%d#user-%d", done, u.ID, u.ID))
}

// userResetPassword is POST /admin/users/:id/password (password, password2): an admin
// sets a new password for someone else, whose sessions all end. Admins change their
// own password at /admin/password, which asks for the current one.
func (a *app) userResetPassword(c echo.Context) error {
	u, err := a.userFor(c)
	if err != nil {
		return err
	}
	pw, pw2 := c.FormValue("password"), c.FormValue("password2")
	var val validator
	val.CheckField(u.ID != sessionFrom(c).User.ID, "password", "请在“修改密码”页面修改您自己的密码。")
	val.CheckField(utf8.RuneCountInString(pw) >= minPasswordRunes, "password", fmt.Sprintf("新密码至少 %d 个字符。", minPasswordRunes))
	val.CheckField(pw == pw2, "password2", "两次输入的新密码不一致。")
	if !val.Valid() {
		return a.rowError(c, u, "", val.FieldErrors)
	}
	h, err := hashPassword(pw)
	if err != nil {
		return err
	}
	if err := a.store.ResetPassword(c.Request().Context(), a.actor(c), u.ID, h, a.now()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/users?done=password&id=%d#user-%d", u.ID, u.ID))
}
