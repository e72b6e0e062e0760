package main

import (
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the portal's Prometheus series, on a registry of its own (so each app,
// in tests several per process, has its own).
type metrics struct {
	reg           *prometheus.Registry
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	accepted      prometheus.Counter
	refused       *prometheus.CounterVec
	captchaFailed prometheus.Counter
	batchSize     prometheus.Histogram
	commitLatency prometheus.Histogram
	handler       http.Handler
}

// refusalKey is the echo context key a comment handler sets to say why it refused.
const refusalKey = "metrics.refusal"

// Comment refusal reasons, the values of consult_comments_refused_total{reason}.
const (
	refusedRateLimit = "rate_limit"
	refusedWindow    = "window_closed"
	refusedHoneypot  = "honeypot"
	refusedCaptcha   = "captcha"
	refusedInvalid   = "invalid"
	refusedCSRF      = "csrf"
	refusedError     = "error"
)

func newMetrics(a *app) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "consult_http_requests_total", Help: "HTTP requests by route pattern, method and status code.",
	}, []string{"route", "method", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "consult_http_request_duration_seconds", Help: "HTTP request latency by route pattern and method.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route", "method"})
	m.accepted = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "consult_comments_accepted_total", Help: "Web comments accepted (receipt sent after the commit).",
	})
	m.refused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "consult_comments_refused_total", Help: "Web comment submissions refused, by reason.",
	}, []string{"reason"})
	for _, r := range []string{refusedRateLimit, refusedWindow, refusedHoneypot, refusedCaptcha, refusedInvalid, refusedCSRF, refusedError} {
		m.refused.WithLabelValues(r)
	}
	m.captchaFailed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "consult_captcha_failures_total", Help: "Captcha answers that were wrong, expired or already used.",
	})
	m.batchSize = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "consult_group_commit_batch_size", Help: "Comments per group-commit transaction.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
	})
	m.commitLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "consult_group_commit_seconds", Help: "Time to write and fsync one group-commit transaction.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
	})
	dbSize := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "consult_database_size_bytes", Help: "Size of the SQLite database file plus its write-ahead log.",
	}, func() float64 {
		var n int64
		for _, p := range []string{a.cfg.Database.Path, a.cfg.Database.Path + "-wal"} {
			if st, err := os.Stat(p); err == nil {
				n += st.Size()
			}
		}
		return float64(n)
	})
	replEnabled := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "consult_replication_enabled", Help: "1 when [replication] is configured.",
	}, func() float64 { return b2f(a.replication != nil) })
	replUp := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "consult_replication_up", Help: "1 while Litestream runs and answers on its control socket.",
	}, func() float64 {
		s := a.replication.Status()
		return b2f(s.Running && !s.LastCheck.IsZero() && time.Since(s.LastCheck) < 10*time.Second)
	})
	replLag := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "consult_replication_lag_seconds", Help: "Age of the oldest committed transaction not yet on the replica (0: the replica has everything).",
	}, func() float64 { return a.replication.Status().Lag.Seconds() })
	replLast := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "consult_replication_last_sync_timestamp_seconds", Help: "Unix time of the last successful upload to the replica.",
	}, func() float64 {
		if t := a.replication.Status().LastSync; !t.IsZero() {
			return float64(t.UnixNano()) / 1e9
		}
		return 0
	})
	m.reg.MustRegister(m.requests, m.latency, m.accepted, m.refused, m.captchaFailed, m.batchSize, m.commitLatency,
		dbSize, replEnabled, replUp, replLag, replLast,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{DisableCompression: true}) // the gzip middleware compresses
	return m
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// observeCommit is the store's group-commit hook.
func (m *metrics) observeCommit(n int, took time.Duration) {
	m.batchSize.Observe(float64(n))
	m.commitLatency.Observe(took.Seconds())
}

// instrument counts every request by its route pattern (never the raw path, so the
// number of series stays bounded).
func (m *metrics) instrument(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		t0 := time.Now()
		err := next(c)
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		code := c.Response().Status
		if err != nil {
			if he, ok := err.(*echo.HTTPError); ok {
				code = he.Code
			} else if isNotFound(err) {
				code = http.StatusNotFound
			} else if !c.Response().Committed {
				code = http.StatusInternalServerError
			}
		}
		method := c.Request().Method
		m.requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
		m.latency.WithLabelValues(route, method).Observe(time.Since(t0).Seconds())
		return err
	}
}

// countComment classifies the outcome of POST /c/{slug}/comments.
func (m *metrics) countComment(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if reason, ok := c.Get(refusalKey).(string); ok {
			m.refused.WithLabelValues(reason).Inc()
		} else if err == nil && c.Response().Status == http.StatusSeeOther {
			m.accepted.Inc()
		} else {
			m.refused.WithLabelValues(refusedError).Inc()
		}
		return err
	}
}

// refuse records why a comment was not accepted (for /metrics).
func refuse(c echo.Context, reason string) { c.Set(refusalKey, reason) }

// opsOnly lets through only clients in metrics.allow (default loopback): /metrics
// and /readyz are for the operators' monitoring, and /readyz writes to the database
// on every call. The client address is the one the portal believes (the TCP peer, or
// X-Forwarded-For from a trusted proxy), so a request relayed by nginx from the
// internet is refused.
func (a *app) opsOnly() echo.MiddlewareFunc {
	allow := a.cfg.metricsAllow()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ip := net.ParseIP(c.RealIP())
			for _, n := range allow {
				if ip != nil && n.Contains(ip) {
					return next(c)
				}
			}
			return echo.NewHTTPError(http.StatusForbidden, "address not in metrics.allow")
		}
	}
}

// metricsHandler serves the Prometheus text format.
func (a *app) metricsHandler(c echo.Context) error {
	a.metrics.handler.ServeHTTP(c.Response(), c.Request())
	return nil
}
