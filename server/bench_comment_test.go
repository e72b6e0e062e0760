package main

// BenchmarkCommentIntake measures accepted, durable comments per second and their
// p50/p99/max latency for the full portal (POST /c/{slug}/comments, captcha and rate
// limits off) beside two ceilings measured in the same run:
//
//   - redirect: a bare echo handler that parses the same form and answers 303;
//   - insert-per-request: a bare echo handler that writes the row the portal writes
//     (same columns and values, duplicate fingerprint included, so the same indexes
//     and FTS trigger fire) in its own transaction (BEGIN IMMEDIATE; INSERT; COMMIT)
//     on its own store-created SQLite file, with the portal's writer DSN (WAL,
//     synchronous=FULL, _txlock=immediate) and one writer connection, then answers
//     303. It does not do the portal's duplicate-group bookkeeping (store.joinGroup).
//
// All three are real HTTP servers on 127.0.0.1 (httptest.NewServer), driven by 1, 16
// and 64 clients; each client is a goroutine with its own http.Client, Transport (one
// keep-alive connection) and, for the portal, its own cookie jar and CSRF token (one
// GET of the form, before timing). Every request is a new comment: a fresh random
// form_key and a fresh 300-character body drawn from the seed draft's sentences. Every
// answer must be a 303 (to the receipt, for the portal); after each portal run the
// database must hold exactly as many new comments as were acknowledged. Each measured
// run starts on a fresh database file in b.TempDir().
//
// Metrics: req/s (acknowledged comments per second), p50/p99/max latency in ms, and
// cpu-µs/req, the CPU time of the whole test process (clients and server) per request,
// which moves much less than req/s when other work shares the machine.
//
// Reproduce (see bench/comment-intake.txt for the numbers on the reference machine):
//
//	go test -tags sqlite_fts5 -run '^$' -bench CommentIntake -benchtime 3s -count 3 ./server/
//
// TestCommentBenchSetup runs each kind for a handful of requests (and checks each
// acknowledged comment is already stored), so the benchmark cannot rot silently under
// `go test`.

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"consult/store"
	"consult/store/dedupe"
)

var commentBenchConns = []int{1, 16, 64}

// commentBenchConfig turns off what a load test cannot pass or would trip: the captcha
// and the per-client rate limits (all clients share 127.0.0.1).
const commentBenchConfig = `
[captcha]
enabled = false

[limits]
comments_per_minute = 0
captchas_per_minute = 0
`

// commentBenchWriterDSN is store.Open's writer DSN (store/store.go), for the ceiling.
const commentBenchWriterDSN = "?_busy_timeout=10000&_foreign_keys=on&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate"

const commentBenchPostPath = "/c/" + seedSlug + "/comments"

// commentBenchBodyRunes is the length of each comment: 300 Chinese characters.
const commentBenchBodyRunes = 300

// commentBenchFields is the form a person submits, less _csrf, body and form_key.
var commentBenchFields = url.Values{
	"section": {"general"}, "name": {"张三"}, "identity": {"个人"},
	"phone": {"138 3046 3501"}, "email": {"zhang@example.com"}, "consent": {"1"},
}

// commentBenchSentences are the seed draft's sentences. Each comment body is a random
// run of them, so bodies are real Chinese text but (almost always) distinct: identical
// bodies would all fall into one duplicate group and take the insert path's cheapest
// branch (one exact-hash hit), which real intake does not.
var commentBenchSentences = sync.OnceValue(func() []string {
	raw, err := os.ReadFile(seedDraft)
	if err != nil {
		panic(err)
	}
	var out []string
	for _, s := range strings.FieldsFunc(string(raw), func(r rune) bool {
		return r == '\n' || r == '。' || r == ';' || r == '；' || r == '!' || r == '？'
	}) {
		if s = strings.TrimSpace(s); utf8.RuneCountInString(s) >= 8 {
			out = append(out, s+"。")
		}
	}
	if len(out) < 20 {
		panic(fmt.Sprintf("seed draft has only %d sentences", len(out)))
	}
	return out
})

// commentBenchBody draws one comment body of commentBenchBodyRunes runes.
func commentBenchBody(rng *mrand.Rand) string {
	sents := commentBenchSentences()
	var b strings.Builder
	n := 0
	for n < commentBenchBodyRunes {
		s := sents[rng.IntN(len(sents))]
		b.WriteString(s)
		n += utf8.RuneCountInString(s)
	}
	r := []rune(b.String())[:commentBenchBodyRunes]
	if unicode.IsSpace(r[len(r)-1]) { // the portal trims it; keep the stored body identical
		r[len(r)-1] = '。'
	}
	return string(r)
}

// commentBenchPortal is the whole portal on a real SQLite file.
type commentBenchPortal struct {
	app            *app
	store          *store.Store
	srv            *httptest.Server
	dbPath         string
	consultationID int64
}

// newCommentBenchStore writes the seed draft and a config into a fresh temp folder and
// opens (migrates) its database, as newTestEnv does but for any testing.TB.
func newCommentBenchStore(tb testing.TB) (*Config, *store.Store, *slog.Logger) {
	tb.Helper()
	cfg := writeTestConfig(tb, tb.TempDir(), testConfig+commentBenchConfig)
	if cfg.CaptchaEnabled() {
		tb.Fatal("captcha still enabled")
	}
	st, logger := openTestStore(tb, cfg)
	return cfg, st, logger
}

func newCommentBenchPortal(tb testing.TB) *commentBenchPortal {
	tb.Helper()
	cfg, st, logger := newCommentBenchStore(tb)
	tb.Cleanup(func() { st.Close() })
	a, err := newApp(cfg, st, logger)
	if err != nil {
		tb.Fatal(err)
	}
	a.now = func() time.Time { return time.Date(2023, 1, 10, 10, 0, 0, 0, beijing) }
	c, err := st.ConsultationBySlug(context.Background(), seedSlug)
	if err != nil {
		tb.Fatal(err)
	}
	p := &commentBenchPortal{app: a, store: st, dbPath: cfg.Database.Path, consultationID: c.ID}
	p.srv = httptest.NewServer(a.routes())
	tb.Cleanup(p.srv.Close)
	return p
}

// count is how many comments the portal's database holds (read through the store's
// read pool, so only committed rows are seen).
func (p *commentBenchPortal) count(tb testing.TB) int {
	tb.Helper()
	counts, err := p.store.CommentCounts(context.Background(), p.consultationID)
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for _, v := range counts {
		n += v
	}
	return n
}

// newCommentBenchRedirect is the first ceiling: parse the form, answer 303.
func newCommentBenchRedirect(tb testing.TB) *httptest.Server {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST(commentBenchPostPath, func(c echo.Context) error {
		if _, err := c.FormParams(); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/x")
	})
	srv := httptest.NewServer(e)
	tb.Cleanup(srv.Close)
	return srv
}

// commentBenchInsertSQL is the portal's insert (store/comment.go insertComment), with
// the same columns, so the same indexes, partial indexes and FTS trigger fire.
const commentBenchInsertSQL = `INSERT INTO comments (consultation_id, section_id, section_anchor,
	tracking, submission_key, body, name, identity, organization, phone, email, publish_name,
	consented_at, channel, late, status, created_at, received_at, recorded_by,
	norm_hash, minhash, band0, band1, band2, band3, band4)
	VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
	ON CONFLICT (submission_key) DO NOTHING RETURNING id`

// commentBenchInsert is the second ceiling: one transaction (and so one fsync) per
// request, on its own migrated database file. It writes the row the portal writes,
// duplicate fingerprint included, but not the portal's duplicate-group bookkeeping
// (store.joinGroup: look-ups, dup_groups row, group_id update).
type commentBenchInsert struct {
	srv            *httptest.Server
	db             *sql.DB
	consultationID int64
}

func newCommentBenchInsert(tb testing.TB) *commentBenchInsert {
	tb.Helper()
	// A store-created file: the migrated schema and the seed consultation, which the
	// comments' foreign key needs. The store is closed before the ceiling opens it.
	cfg, st, _ := newCommentBenchStore(tb)
	c, err := st.ConsultationBySlug(context.Background(), seedSlug)
	if err != nil {
		st.Close()
		tb.Fatal(err)
	}
	if err := st.Close(); err != nil {
		tb.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+cfg.Database.Path+commentBenchWriterDSN)
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	tb.Cleanup(func() { db.Close() })
	var mode string
	var syncLevel int
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		tb.Fatal(err)
	}
	if err := db.QueryRow(`PRAGMA synchronous`).Scan(&syncLevel); err != nil {
		tb.Fatal(err)
	}
	if mode != "wal" || syncLevel != 2 {
		tb.Fatalf("ceiling database: journal_mode %s synchronous %d, want wal 2 (FULL)", mode, syncLevel)
	}
	ci := &commentBenchInsert{db: db, consultationID: c.ID}
	now := time.Date(2023, 1, 10, 10, 0, 0, 0, beijing).Unix()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST(commentBenchPostPath, func(c echo.Context) error {
		ctx := context.WithoutCancel(c.Request().Context())
		tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock=immediate)
		if err != nil {
			return err
		}
		body := c.FormValue("body")
		fp := dedupe.Of(body)
		var sig any
		if fp.Comparable() {
			sig = fp.SigBytes()
		}
		var id int64
		err = tx.QueryRowContext(ctx, commentBenchInsertSQL,
			ci.consultationID, nil, c.FormValue("section"), store.NewTrackingNumber(), c.FormValue("form_key"),
			body, c.FormValue("name"), c.FormValue("identity"), c.FormValue("organization"),
			strings.ReplaceAll(c.FormValue("phone"), " ", ""), c.FormValue("email"), false,
			now, "web", false, store.StatusPending, now, 0, "",
			fp.Hash, sig, fp.Bands[0], fp.Bands[1], fp.Bands[2], fp.Bands[3], fp.Bands[4]).Scan(&id)
		if err == nil { // the row goes into the full-text index in its own transaction too
			_, err = tx.ExecContext(ctx, `INSERT INTO comments_fts (rowid, body) VALUES (?, ? || char(1))`, id, body)
		}
		if err != nil {
			_ = tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/x")
	})
	ci.srv = httptest.NewServer(e)
	tb.Cleanup(ci.srv.Close)
	return ci
}

func (ci *commentBenchInsert) count(tb testing.TB) int {
	tb.Helper()
	var n int
	if err := ci.db.QueryRow(`SELECT COUNT(*) FROM comments`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// commentBenchClient is one client: its own connection, cookies and CSRF token.
type commentBenchClient struct {
	hc     *http.Client
	tr     *http.Transport
	base   string
	prefix string // the encoded form up to "&body="
	rng    *mrand.Rand
}

func newCommentBenchClient(tb testing.TB, base string) *commentBenchClient {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1}
	return &commentBenchClient{
		tr:   tr,
		base: base,
		rng:  mrand.New(mrand.NewPCG(mrand.Uint64(), mrand.Uint64())),
		hc: &http.Client{
			Transport:     tr,
			Jar:           jar,
			Timeout:       time.Minute,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// openForm fetches the portal's comment form once, which sets the CSRF cookie, and
// keeps the token the page carries.
func (c *commentBenchClient) openForm() error {
	resp, err := c.hc.Get(c.base + "/c/" + seedSlug + "/comment?section=general")
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("form: status %d", resp.StatusCode)
	}
	m := csrfRE.FindStringSubmatch(string(body))
	if m == nil {
		return fmt.Errorf("form: no _csrf field")
	}
	c.setForm(m[1])
	return nil
}

func (c *commentBenchClient) setForm(csrf string) {
	f := url.Values{}
	for k, v := range commentBenchFields {
		f[k] = v
	}
	if csrf != "" {
		f.Set("_csrf", csrf)
	}
	c.prefix = f.Encode() + "&body="
}

// commentBenchFormKey is what the portal puts into each rendered form.
func commentBenchFormKey() string { return newFormKey() }

// post submits one new comment (a fresh body and form_key) and returns the 303's
// Location, or an error that carries the status and body of any other answer.
func (c *commentBenchClient) post() (string, error) {
	_, loc, err := c.postBody()
	return loc, err
}

func (c *commentBenchClient) postBody() (body, loc string, err error) {
	body = commentBenchBody(c.rng)
	form := c.prefix + url.QueryEscape(body) + "&form_key=" + commentBenchFormKey()
	loc, err = c.send(form)
	return body, loc, err
}

func (c *commentBenchClient) send(form string) (string, error) {
	req, err := http.NewRequest(http.MethodPost, c.base+commentBenchPostPath, strings.NewReader(form))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("status %d, want 303; body:\n%s", resp.StatusCode, body)
	}
	return resp.Header.Get("Location"), nil
}

// commentBenchTarget is one running server under test.
type commentBenchTarget struct {
	base   string
	portal *commentBenchPortal // nil for the ceilings
	count  func() int          // comments in its database; nil: it has none
}

// commentBenchKind is one kind of server under test.
type commentBenchKind struct {
	name  string
	start func(tb testing.TB) commentBenchTarget // a fresh server on a fresh database
	// location is the prefix every 303 must point to.
	location string
}

var commentBenchKinds = []commentBenchKind{
	{name: "redirect", location: "/x", start: func(tb testing.TB) commentBenchTarget {
		return commentBenchTarget{base: newCommentBenchRedirect(tb).URL}
	}},
	{name: "insert-per-request", location: "/x", start: func(tb testing.TB) commentBenchTarget {
		ci := newCommentBenchInsert(tb)
		return commentBenchTarget{base: ci.srv.URL, count: func() int { return ci.count(tb) }}
	}},
	{name: "portal", location: "/c/" + seedSlug + "/receipt/", start: func(tb testing.TB) commentBenchTarget {
		p := newCommentBenchPortal(tb)
		return commentBenchTarget{base: p.srv.URL, portal: p, count: func() int { return p.count(tb) }}
	}},
	// The portal with a standing routing rule on the section every comment is about, so
	// each comment is also routed (a routing row and an audit entry) as it is stored.
	{name: "portal-routed", location: "/c/" + seedSlug + "/receipt/", start: func(tb testing.TB) commentBenchTarget {
		p := newCommentBenchPortal(tb)
		if _, err := p.store.SetRouteRule(context.Background(), store.Actor{Username: "bench"},
			store.RouteRule{ConsultationID: p.consultationID, SectionAnchor: "general", Unit: "财政局", DueDays: 10}); err != nil {
			tb.Fatal(err)
		}
		return commentBenchTarget{base: p.srv.URL, portal: p, count: func() int { return p.count(tb) }}
	}},
}

// commentBenchClients opens conns clients on base, each with its connection open
// (and, for the portal, its CSRF cookie and token) before anything is timed.
func commentBenchClients(tb testing.TB, tg commentBenchTarget, conns int) []*commentBenchClient {
	tb.Helper()
	clients := make([]*commentBenchClient, conns)
	for i := range clients {
		c := newCommentBenchClient(tb, tg.base)
		tb.Cleanup(c.tr.CloseIdleConnections)
		if tg.portal != nil {
			if err := c.openForm(); err != nil {
				tb.Fatal(err)
			}
		} else {
			c.setForm("")
		}
		clients[i] = c
	}
	return clients
}

func TestCommentBenchSetup(t *testing.T) {
	for _, k := range commentBenchKinds {
		t.Run(k.name, func(t *testing.T) {
			tg := k.start(t)
			clients := commentBenchClients(t, tg, 2)
			n0 := 0
			if tg.count != nil {
				n0 = tg.count()
			}
			sent := 0
			for range 3 {
				for _, c := range clients {
					body, loc, err := c.postBody()
					if err != nil {
						t.Fatal(err)
					}
					if !strings.HasPrefix(loc, k.location) {
						t.Fatalf("Location %q, want prefix %q", loc, k.location)
					}
					if n := utf8.RuneCountInString(body); n != commentBenchBodyRunes {
						t.Fatalf("body has %d runes", n)
					}
					sent++
					// The acknowledgement came after the commit: the row is already
					// visible to another connection.
					if tg.count != nil {
						if n := tg.count(); n != n0+sent {
							t.Fatalf("after %d acknowledgements the database holds %d new comments", sent, n-n0)
						}
					}
					if tg.portal != nil {
						tr, ok := store.NormalizeTracking(strings.TrimPrefix(loc, k.location))
						if !ok {
							t.Fatalf("Location %q has no tracking number", loc)
						}
						cm, err := tg.portal.store.CommentByTracking(context.Background(), tr)
						if err != nil {
							t.Fatal(err)
						}
						if cm.Body != normalizeText(body) || cm.Phone != "13830463501" || cm.Name != "张三" || cm.SectionAnchor != "general" {
							t.Fatalf("stored %+v", cm)
						}
						if k.name == "portal-routed" {
							if r, err := tg.portal.store.RoutingFor(context.Background(), cm.ID); err != nil || r.Unit != "财政局" {
								t.Fatalf("not routed by the rule: %+v %v", r, err)
							}
						}
					}
				}
			}
		})
	}
	// The bodies are distinct enough that duplicate grouping does real work.
	rng := mrand.New(mrand.NewPCG(1, 2))
	fps := make([]dedupe.Fingerprint, 300)
	for i := range fps {
		fps[i] = dedupe.Of(commentBenchBody(rng))
	}
	near := 0
	for i := range fps {
		for j := range i {
			if dedupe.Near(fps[i], fps[j]) {
				near++
				break
			}
		}
	}
	t.Logf("%d sentences; %d of %d bodies are near-duplicates of an earlier one", len(commentBenchSentences()), near, len(fps))
	if near > len(fps)/20 {
		t.Errorf("%d of %d bodies are near-duplicates of an earlier one", near, len(fps))
	}
}

func BenchmarkCommentIntake(b *testing.B) {
	// Interleaved so each portal run is measured right after its two ceilings.
	for _, n := range commentBenchConns {
		for _, k := range commentBenchKinds {
			b.Run(fmt.Sprintf("%s/conns=%d", k.name, n), func(b *testing.B) { runCommentBench(b, k, n) })
		}
	}
}

// runCommentBench starts a fresh server of kind k and sends b.N new comments to it from
// conns clients, which take requests from a shared counter until b.N have been sent.
func runCommentBench(b *testing.B, k commentBenchKind, conns int) {
	tg := k.start(b)
	count := tg.count
	clients := commentBenchClients(b, tg, conns)
	if tg.portal == nil {
		// Open every connection before timing (the portal's form GET did that).
		for _, c := range clients {
			if _, err := c.post(); err != nil {
				b.Fatal(err)
			}
		}
	}
	n0 := 0
	if count != nil {
		n0 = count()
	}

	lat := make([][]time.Duration, conns)
	errs := make([]error, conns)
	var next, acked atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	cpu0 := commentBenchCPU(b)
	b.ResetTimer()
	start := time.Now()
	for i, c := range clients {
		lat[i] = make([]time.Duration, 0, b.N/conns+1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() && next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				loc, err := c.post()
				d := time.Since(t0)
				if err == nil && !strings.HasPrefix(loc, k.location) {
					err = fmt.Errorf("Location %q, want prefix %q", loc, k.location)
				}
				if err != nil {
					errs[i] = err
					failed.Store(true)
					return
				}
				acked.Add(1)
				lat[i] = append(lat[i], d)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	cpu := commentBenchCPU(b) - cpu0
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	if count != nil {
		if n := count() - n0; int64(n) != acked.Load() {
			b.Fatalf("%d comments acknowledged (303) but %d stored", acked.Load(), n)
		}
	}

	all := slices.Concat(lat...)
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[int(p*float64(len(all)-1))].Nanoseconds()) / 1e6
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
	// CPU time of this process (clients and servers) per request.
	b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(b.N), "cpu-µs/req")
}

// commentBenchCPU is the user+system CPU time this process has used so far.
func commentBenchCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
