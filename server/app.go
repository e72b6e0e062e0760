package main

import (
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"consult/static"
	"consult/store"
)

// app holds what handlers share.
type app struct {
	cfg    *Config
	store  *store.Store
	log    *slog.Logger
	pages  map[string]*template.Template
	static string // version suffix for static URLs (content hash)
	drafts *pageCache
	forms  formCache // fresh comment form pages (formcache.go)
	// gen changes whenever a count shown on a cached page changes (a new comment);
	// draftGen whenever a consultation's text or window changes.
	gen      atomic.Uint64
	draftGen atomic.Uint64
	// draftRefresh is how often a draft page is re-rendered at most while comments
	// arrive (draftRefresh in handlers_public.go; tests shorten it).
	draftRefresh time.Duration
	draftRenders atomic.Uint64 // draft page renders so far (tests and benchmarks read it)

	draftsData   draftCache
	commentLimit *limiter
	captchaLimit *limiter
	trackLimit   *limiter
	loginLimit   *limiter
	// captchaImageKey seeds captcha pictures (store.CaptchaImageKey).
	captchaImageKey []byte
	presence        presence  // who has which comment open (team.go)
	api             *apiState // open data: /api/v1/, feed.xml, sitemap.xml (api.go)
	// now is the clock; tests move it to check window edges.
	now func() time.Time

	replication  *replicator // nil when [replication] is absent
	metrics      *metrics
	minFreeBytes int64 // /readyz fails below this much free disk
}

func newApp(cfg *Config, st *store.Store, logger *slog.Logger) (*app, error) {
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	ver, err := static.Version()
	if err != nil {
		return nil, err
	}
	a := &app{
		cfg: cfg, store: st, log: logger, pages: pages, static: ver, drafts: newPageCache(), now: time.Now,
		draftRefresh:    draftRefresh,
		commentLimit:    newLimiter(limitOr(cfg.Limits.CommentsPerMinute, 5)),
		captchaLimit:    newLimiter(limitOr(cfg.Limits.CaptchasPerMinute, 30)),
		trackLimit:      newLimiter(60),
		loginLimit:      newLimiter(limitOr(cfg.Limits.LoginsPerMinute, 10)),
		minFreeBytes:    defaultMinFreeBytes,
		captchaImageKey: st.CaptchaImageKey(),
	}
	a.metrics = newMetrics(a)
	st.OnCommit(a.metrics.observeCommit)
	return a, nil
}

// routes wires middleware and handlers. Every URL the portal answers is listed here.
func (a *app) routes() http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = a.httpError
	e.IPExtractor = a.ipExtractor()

	e.Use(middleware.Recover())
	e.Use(a.metrics.instrument)
	e.Use(middleware.RequestID())
	e.Use(a.requestLog())
	// A 15,000-character comment, URL-encoded, is ~140 KB; whole drafts need more.
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "256K", Skipper: isDraftUpload}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: draftBodyLimit, Skipper: func(c echo.Context) bool { return !isDraftUpload(c) }}))
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0",
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		ReferrerPolicy:        "same-origin",
		ContentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; media-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
	}))
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{
		MinLength: 1024,
		// The draft page, the comment form and the 修改前后对照表 are compressed once, ahead
		// of time (pagecache.go, formcache.go); a POST answers with a redirect, where setting
		// up a compressor would cost more than the body. A captcha's PNG is compressed
		// already (its audio, plain PCM, is not).
		Skipper: func(c echo.Context) bool {
			return isPrecompressed(c) || c.Path() == "/c/:slug/comment" || c.Path() == "/c/:slug/feedback" ||
				c.Path() == "/c/:slug/changes" || c.Path() == "/captcha/:id/image.png" || c.Request().Method != http.MethodGet
		},
	}))

	e.GET("/", a.home)
	e.GET("/c/:slug", a.draftShow)
	e.GET("/c/:slug/qr.svg", a.draftQR)
	e.GET("/c/:slug/changes", a.changesShow)
	e.GET("/prefs", a.prefsSet)

	csrf := middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:_csrf",
		CookieName:     "_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSameSite: http.SameSiteLaxMode,
		CookieSecure:   a.cfg.SecureCookies(),
		ErrorHandler:   a.csrfFailed,
	})
	e.GET("/c/:slug/comment", a.commentNew, csrf)
	e.POST("/c/:slug/comments", a.commentCreate, a.metrics.countComment, csrf)
	e.GET("/c/:slug/receipt/:tracking", a.commentReceipt)
	e.GET("/track", a.track)
	e.GET("/captcha/:id/image.png", a.captchaImage)
	e.GET("/captcha/:id/audio.wav", a.captchaAudio)

	// The officers' workspace: every route needs a session, every form a CSRF token.
	adm := e.Group("/admin", csrf, a.loadSession)
	adm.GET("/login", a.loginForm)
	adm.POST("/login", a.loginPost)
	adm.POST("/logout", a.logout, a.requireRole(allRoles...))
	adm.GET("/password", a.passwordForm, a.requireRole(allRoles...))
	adm.POST("/password", a.passwordPost, a.requireRole(allRoles...))
	adm.GET("", a.adminHome, a.requireRole(allRoles...))
	// A department account sees only its unit's comments (scopeFilter, deptMayOpen).
	adm.GET("/c/:slug/comments", a.queue, a.requireRole(allRoles...))
	adm.POST("/c/:slug/comments/bulk", a.bulkDecide, a.requireRole(canDecide...))
	adm.GET("/c/:slug/comments/new", a.recordForm, a.requireRole(canDecide...))
	adm.POST("/c/:slug/comments/new", a.recordPost, a.requireRole(canDecide...))
	adm.GET("/c/:slug/comments/:id", a.commentShow, a.requireRole(allRoles...))
	adm.POST("/c/:slug/comments/:id", a.commentDecide, a.requireRole(canDecide...))
	a.adminRoutes(adm)
	a.feedbackRoutes(e, adm)
	a.apiRoutes(e)
	a.opsRoutes(e, adm)
	e.GET("/healthz", a.healthz)
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", static.Handler())))
	return e
}

// ipExtractor trusts X-Forwarded-For only from the configured proxies; with none
// configured the TCP peer is the client, so a forged header changes nothing.
func (a *app) ipExtractor() echo.IPExtractor {
	if len(a.cfg.Server.TrustedProxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range a.cfg.Server.TrustedProxies {
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			ip := net.ParseIP(p)
			bits := 32
			if ip.To4() == nil {
				bits = 128
			}
			n = &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}
		}
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

func (a *app) requestLog() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURI: true, LogMethod: true, LogLatency: true, LogRequestID: true, LogRemoteIP: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			a.log.Info("request", "id", v.RequestID, "method", v.Method, "uri", v.URI,
				"status", v.Status, "latency", v.Latency, "ip", v.RemoteIP)
			return nil
		},
	})
}

// httpError renders every error as a Chinese page; 5xx are logged with the request id,
// and no internal error text ever reaches the visitor.
func (a *app) httpError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code := http.StatusInternalServerError
	msg := "服务器出现问题,请稍后再试。"
	if he, ok := err.(*echo.HTTPError); ok {
		code = he.Code
		if m, ok := he.Message.(string); ok && code < 500 {
			msg = publicMessage(code, m)
		}
	} else if isNotFound(err) {
		code, msg = http.StatusNotFound, publicMessage(http.StatusNotFound, "")
	}
	if code >= 500 {
		a.log.Error("request failed", "id", c.Response().Header().Get(echo.HeaderXRequestID), "uri", c.Request().RequestURI, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(code)
		return
	}
	if rerr := a.render(c, code, "error", "出错了", errorView{Code: code, Message: msg}); rerr != nil {
		a.log.Error("render error page", "err", rerr)
	}
}

type errorView struct {
	Code    int
	Message string
}

// publicMessage turns a status and an internal message into what a visitor reads.
func publicMessage(code int, m string) string {
	switch code {
	case http.StatusNotFound:
		if m != "" && isChinese(m) {
			return m
		}
		return "没有找到这个页面。它可能已被移动,或者链接有误。"
	case http.StatusForbidden:
		if m != "" && isChinese(m) {
			return m
		}
		return "请求未通过安全校验。请返回上一页,刷新后重试。"
	case http.StatusRequestEntityTooLarge:
		return "提交的内容过大。请缩短后重试。"
	case http.StatusTooManyRequests:
		return "操作过于频繁,请稍后再试。"
	case http.StatusMethodNotAllowed:
		return "不支持这种访问方式。"
	}
	if m != "" && isChinese(m) {
		return m
	}
	return fmt.Sprintf("请求无法处理(%d)。", code)
}
