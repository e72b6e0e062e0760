package main

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// prefs are a reader's display settings, kept in the "reading" cookie so the server
// renders them (no flash, works without JavaScript) and reading.js can change them in place.
type prefs struct {
	Size  string // s, m, l
	Color string // "", red, yellow, blue, green
	Eye   bool   // eye-care background
}

var (
	sizes  = []string{"s", "m", "l"}
	colors = []string{"", "red", "yellow", "blue", "green"}
)

const prefsCookie = "reading"

func parsePrefs(v string) prefs {
	p := prefs{Size: "m"}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return p
	}
	if contains(sizes, parts[0]) {
		p.Size = parts[0]
	}
	if contains(colors, parts[1]) {
		p.Color = parts[1]
	}
	p.Eye = parts[2] == "1"
	return p
}

func (p prefs) cookieValue() string {
	eye := "0"
	if p.Eye {
		eye = "1"
	}
	return p.Size + "." + p.Color + "." + eye
}

// Class is the <html> class list that applies the settings in CSS.
func (p prefs) Class() string {
	var cs []string
	if p.Size != "m" {
		cs = append(cs, "fs-"+p.Size)
	}
	if p.Color != "" {
		cs = append(cs, "fc-"+p.Color)
	}
	if p.Eye {
		cs = append(cs, "bg-eye")
	}
	return strings.Join(cs, " ")
}

func prefsFrom(c echo.Context) prefs {
	ck, err := c.Cookie(prefsCookie)
	if err != nil {
		return prefs{Size: "m"}
	}
	return parsePrefs(ck.Value)
}

// prefsSet is the no-JavaScript path for the reading controls: it updates the cookie
// and sends the reader back to the page (only to a local path).
func (a *app) prefsSet(c echo.Context) error {
	p := prefsFrom(c)
	q := c.QueryParams()
	if q.Has("reset") {
		p = prefs{Size: "m"}
	}
	if v := q.Get("size"); contains(sizes, v) {
		p.Size = v
	}
	if q.Has("color") && contains(colors, q.Get("color")) {
		p.Color = q.Get("color")
	}
	if v := q.Get("eye"); v == "1" || v == "0" {
		p.Eye = v == "1"
	}
	c.SetCookie(&http.Cookie{
		Name: prefsCookie, Value: p.cookieValue(), Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
		SameSite: http.SameSiteLaxMode, Secure: a.cfg.SecureCookies(),
	})
	return c.Redirect(http.StatusSeeOther, localPath(q.Get("next")))
}

// localPath returns next if it is a path on this site, else "/".
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
