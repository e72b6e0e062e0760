package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"consult/store"
)

// Session lifetimes: an officer is signed out after an hour without activity and, in
// any case, twelve hours after signing in.
const (
	sessionIdle     = time.Hour
	sessionAbsolute = 12 * time.Hour
	sessionCookie   = "consult_session"
	// Per-account throttling: after maxLoginFailures wrong passwords the account is
	// locked for loginLock (per-client throttling is limits.logins_per_minute).
	maxLoginFailures = 5
	loginLock        = 15 * time.Minute
	minPasswordRunes = 10
)

// bcryptCost is the work factor for password hashes (about 0.2 s here).
var bcryptCost = 12

// dummyHash is compared against when the user does not exist, so a login takes as
// long for an unknown name as for a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("consult-dummy-password"), bcrypt.MinCost)

func hashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcryptCost)
	return string(h), err
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// randomPassword makes a password for the first admin: 16 characters without look-alikes.
func randomPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	var r [1]byte
	for i := range b {
		for {
			if _, err := rand.Read(r[:]); err != nil {
				panic(err)
			}
			if int(r[0]) < 256-256%len(alphabet) {
				b[i] = alphabet[int(r[0])%len(alphabet)]
				break
			}
		}
	}
	return string(b)
}

// ensureFirstAdmin creates an admin with a random password when there are no accounts
// at all, and prints the password once, so a newcomer can log in straight away.
func ensureFirstAdmin(ctx context.Context, st *store.Store, logger *slog.Logger) error {
	n, err := st.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	pw := randomPassword()
	h, err := hashPassword(pw)
	if err != nil {
		return err
	}
	if _, err := st.CreateUser(ctx, store.Actor{Username: "system"}, "admin", h, store.RoleAdmin); err != nil {
		return err
	}
	logger.Warn("created the first account; log in at /admin/login and change its password", "username", "admin", "password", pw)
	return nil
}

const ctxSession = "session"

// sessionFrom returns the signed-in officer's session, or nil.
func sessionFrom(c echo.Context) *store.Session {
	s, _ := c.Get(ctxSession).(*store.Session)
	return s
}

func (a *app) actor(c echo.Context) store.Actor {
	act := store.Actor{IP: c.RealIP()}
	if s := sessionFrom(c); s != nil {
		act.UserID, act.Username = s.User.ID, s.User.Username
	}
	return act
}

// loadSession reads the session cookie and puts a live session in the context.
func (a *app) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(sessionCookie)
		if err == nil && ck.Value != "" {
			now := a.now()
			sess, err := a.store.SessionByToken(c.Request().Context(), hashToken(ck.Value), sessionIdle, sessionAbsolute, now)
			switch {
			case err == nil:
				if now.Sub(sess.LastSeenAt) > time.Minute {
					// Refreshing the idle clock is no one's input: when the database
					// cannot save it, the request goes on (its own write gets the 503).
					if err := a.store.TouchSession(c.Request().Context(), sess.TokenHash, now); err != nil && !a.writeFailed(err) {
						return err
					}
				}
				c.Set(ctxSession, sess)
			case errors.Is(err, store.ErrNotFound):
				a.clearSessionCookie(c)
			default:
				return err
			}
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}

// requireRole lets signed-in officers with one of the roles through. Anonymous
// visitors are sent to the login page; others get 403.
func (a *app) requireRole(roles ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			s := sessionFrom(c)
			if s == nil {
				next := c.Request().URL.RequestURI()
				if c.Request().Method != http.MethodGet {
					next = "/admin"
				}
				return c.Redirect(http.StatusSeeOther, "/admin/login?next="+url.QueryEscape(next))
			}
			for _, r := range roles {
				if s.User.Role == r {
					return next(c)
				}
			}
			return echo.NewHTTPError(http.StatusForbidden, "您的账户没有权限进行此操作。")
		}
	}
}

var (
	anyRole      = []string{store.RoleAdmin, store.RoleOfficer, store.RoleCommittee}
	canDecide    = []string{store.RoleAdmin, store.RoleOfficer}
	onlyAdmin    = []string{store.RoleAdmin}
	roleLabels   = map[string]string{store.RoleAdmin: "管理员", store.RoleOfficer: "联系人/承办人", store.RoleCommittee: "起草委员会(只读)"}
	errLoginText = "用户名或密码不正确。"
)

// canDecideRole reports whether a role may decide, bulk-decide, record and publish.
func canDecideRole(role string) bool { return contains(canDecide, role) }

type loginView struct {
	Username string
	Next     string
	Error    string
}

func (a *app) loginForm(c echo.Context) error {
	if sessionFrom(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/admin")
	}
	return a.render(c, http.StatusOK, "admin_login", "登录", loginView{Next: c.QueryParam("next")})
}

// loginPost signs an officer in: POST /admin/login with username, password, _csrf.
func (a *app) loginPost(c echo.Context) error {
	ctx := c.Request().Context()
	v := loginView{Username: normalizeLine(c.FormValue("username")), Next: c.FormValue("next")}
	pw := c.FormValue("password")
	now := a.now()
	if !a.loginLimit.allow(c.RealIP(), now) {
		v.Error = "登录尝试过于频繁,请稍等一分钟后再试。"
		return a.render(c, http.StatusTooManyRequests, "admin_login", "登录", v)
	}
	u, err := a.store.UserByName(ctx, v.Username)
	if errors.Is(err, store.ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(pw))
		v.Error = errLoginText
		return a.render(c, http.StatusUnauthorized, "admin_login", "登录", v)
	}
	if err != nil {
		return err
	}
	act := store.Actor{UserID: u.ID, Username: u.Username, IP: c.RealIP()}
	if now.Before(u.LockedUntil) {
		v.Error = "密码错误次数过多,账户已暂时锁定。请 " + u.LockedUntil.In(beijing).Format("15:04") + " 以后再试,或联系管理员。"
		return a.render(c, http.StatusTooManyRequests, "admin_login", "登录", v)
	}
	ok := bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(pw)) == nil && !u.Disabled
	if err := a.store.RecordLogin(ctx, act, u, ok, maxLoginFailures, loginLock, now); err != nil {
		return err
	}
	if !ok {
		v.Error = errLoginText
		return a.render(c, http.StatusUnauthorized, "admin_login", "登录", v)
	}
	// A fresh token at every login: a session id planted before login is worthless.
	if old, err := c.Cookie(sessionCookie); err == nil {
		_ = a.store.DeleteSession(ctx, act, hashToken(old.Value))
	}
	token := randomToken()
	if err := a.store.CreateSession(ctx, hashToken(token), u.ID, c.RealIP(), now); err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: token, Path: "/admin", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: a.cfg.SecureCookies()})
	next := localPath(v.Next)
	if !strings.HasPrefix(next, "/admin") {
		next = "/admin"
	}
	return c.Redirect(http.StatusSeeOther, next)
}

func (a *app) clearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/admin", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: a.cfg.SecureCookies()})
}

// logout ends the session: POST /admin/logout.
func (a *app) logout(c echo.Context) error {
	if s := sessionFrom(c); s != nil {
		if err := a.store.DeleteSession(c.Request().Context(), a.actor(c), s.TokenHash); err != nil {
			return err
		}
	}
	a.clearSessionCookie(c)
	return c.Redirect(http.StatusSeeOther, "/admin/login")
}

type passwordView struct {
	Errors map[string]string
	Done   bool
}

func (a *app) passwordForm(c echo.Context) error {
	return a.render(c, http.StatusOK, "admin_password", "修改密码", passwordView{Done: c.QueryParam("done") == "1"})
}

// passwordPost changes the signed-in officer's password and signs out their other sessions.
func (a *app) passwordPost(c echo.Context) error {
	s := sessionFrom(c)
	var v validator
	cur, pw, pw2 := c.FormValue("current"), c.FormValue("password"), c.FormValue("password2")
	v.CheckField(bcrypt.CompareHashAndPassword([]byte(s.User.PasswordHash), []byte(cur)) == nil, "current", "当前密码不正确。")
	v.CheckField(utf8.RuneCountInString(pw) >= minPasswordRunes, "password", "新密码至少 10 个字符。")
	v.CheckField(pw == pw2, "password2", "两次输入的新密码不一致。")
	if !v.Valid() {
		return a.render(c, http.StatusUnprocessableEntity, "admin_password", "修改密码", passwordView{Errors: v.FieldErrors})
	}
	h, err := hashPassword(pw)
	if err != nil {
		return err
	}
	if err := a.store.SetPassword(c.Request().Context(), a.actor(c), s.User.ID, h, s.TokenHash); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/password?done=1")
}
