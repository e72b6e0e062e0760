package main

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"consult/store"
)

// unavailableText is what a person reads when their form could not be saved because
// of the disk or the database: nothing was submitted, their text is still there.
const unavailableText = "系统暂时无法保存(服务器存储故障),本次提交没有成功,内容尚未提交。您填写的内容已保留,请稍后再次提交。"

// writeFailed reports whether err means the database could not save (full disk,
// I/O error …), which is answered with 503 and the form re-rendered, never 500.
func (a *app) writeFailed(err error) bool {
	if !store.IsUnavailable(err) {
		return false
	}
	a.log.Error("write failed: disk or database unavailable", "err", err)
	return true
}

// healthz answers 200 "ok" while writes succeed, and 503 from the first write that
// failed for the disk or the database until one succeeds again (it tries one itself).
func (a *app) healthz(c echo.Context) error {
	st := a.store.CheckWrites(c.Request().Context())
	if st.Failing {
		return c.String(http.StatusServiceUnavailable, "write failing since "+st.Since.UTC().Format("2006-01-02T15:04:05Z")+"\n")
	}
	return c.String(http.StatusOK, "ok")
}
