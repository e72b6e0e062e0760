package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
)

// defaultMinFreeBytes is the free space under which /readyz reports the disk as
// failing: room for a day of a national consultation's comments and a checkpoint.
const defaultMinFreeBytes = 512 << 20

// readyCheck is one line of /readyz.
type readyCheck struct {
	Name   string
	OK     bool
	Detail string
}

// readiness runs every check /readyz reports.
func (a *app) readiness(ctx context.Context) []readyCheck {
	var out []readyCheck

	t0 := time.Now()
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	err := a.store.Probe(pctx, time.Now())
	cancel()
	if err != nil {
		a.log.Error("readyz: database probe failed", "err", err)
		out = append(out, readyCheck{"database", false, "write round-trip failed"})
	} else {
		out = append(out, readyCheck{"database", true, fmt.Sprintf("write round-trip %s", time.Since(t0).Round(10*time.Microsecond))})
	}

	if a.replication == nil {
		out = append(out, readyCheck{"replication", true, "off ([replication] not configured)"})
	} else {
		s := a.replication.Status()
		d := fmt.Sprintf("lag %s (limit %s), local txid %d, replicated txid %d", s.Lag.Round(time.Millisecond), s.MaxLag(), s.LocalTXID, s.ReplicatedTXID)
		if !s.LastSync.IsZero() {
			d += ", last sync " + s.LastSync.UTC().Format(time.RFC3339)
		}
		switch {
		case !s.Running:
			d = "litestream is not running; " + d
		case s.LastCheck.IsZero():
			d = "no status from litestream yet; " + d
		case s.LastError != "":
			d += "; " + s.LastError
		}
		out = append(out, readyCheck{"replication", s.Healthy(), d})
	}

	dir := filepath.Dir(a.cfg.Database.Path)
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		out = append(out, readyCheck{"disk", false, "statfs " + dir + ": " + err.Error()})
	} else {
		free := int64(fs.Bavail) * int64(fs.Bsize)
		out = append(out, readyCheck{"disk", free >= a.minFreeBytes,
			fmt.Sprintf("%s free in %s (minimum %s)", humanBytes(free), dir, humanBytes(a.minFreeBytes))})
	}
	return out
}

// readyz (for clients in metrics.allow) answers 200 when the portal can take comments and keep them (database
// writable, replica keeping up, disk not full), 503 otherwise; one line per check.
func (a *app) readyz(c echo.Context) error {
	checks := a.readiness(c.Request().Context())
	status := http.StatusOK
	var b strings.Builder
	for _, ch := range checks {
		word := "ok"
		if !ch.OK {
			word, status = "FAIL", http.StatusServiceUnavailable
		}
		fmt.Fprintf(&b, "%s: %s (%s)\n", ch.Name, word, ch.Detail)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.String(status, b.String())
}

// opsRoutes adds the operator's endpoints and the admin page on replication.
func (a *app) opsRoutes(e *echo.Echo, adm *echo.Group) {
	ops := a.opsOnly()
	e.GET("/readyz", a.readyz, ops)
	e.GET("/metrics", a.metricsHandler, ops)
	adm.GET("/system", a.systemPage, a.requireRole(onlyAdmin...))
}

// systemView is what admin_system.html shows.
type systemView struct {
	Replication replicationStatus
	Checks      []readyCheck
	Healthy     bool
	Now         time.Time
}

// systemPage shows administrators replication status, the last successful sync and
// the readiness checks: GET /admin/system.
func (a *app) systemPage(c echo.Context) error {
	v := systemView{Replication: a.replication.Status(), Checks: a.readiness(c.Request().Context()), Now: time.Now()}
	v.Healthy = true
	for _, ch := range v.Checks {
		v.Healthy = v.Healthy && ch.OK
	}
	return a.render(c, http.StatusOK, "admin_system", "系统状态", v)
}
