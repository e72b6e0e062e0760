package main

// BenchmarkQueue measures the officers' triage queue (GET /admin/c/{slug}/comments) on
// a consultation with 1,000,000 generated comments (store/gen), through the real HTTP
// handler; see its doc comment for how, and bench/queue.txt for the figures on the
// reference machine. TestQueueBenchSetup and TestQueueAgreesWithBruteForce run the same
// code on 2,000 comments under `go test`, so it cannot rot.
//
// Reproduce:
//
//	go test -tags sqlite_fts5 -run '^$' -bench Queue -benchtime 200x -timeout 0 ./server/

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"consult/store"
	"consult/store/gen"
)

const (
	queueBenchN    = 1_000_000
	queueBenchSeed = 2023
	queueBenchUser = "bench"
)

// queueBenchKey names what a cached database was built from; a database whose key
// file says anything else is rebuilt.
func queueBenchKey(n int) string {
	return fmt.Sprintf("generator v%d, seed %d, %d comments, consult generate + consult import", gen.Version, queueBenchSeed, n)
}

// queueBenchConfig is a config.toml for the seed consultation on the database at path.
func queueBenchConfig(tb testing.TB, dbPath string) *Config {
	tb.Helper()
	conf := strings.Replace(testConfig, `path = "data/test.db"`, "path = "+strconv.Quote(dbPath), 1)
	if conf == testConfig {
		tb.Fatal("testConfig has no database path to replace")
	}
	return writeTestConfig(tb, tb.TempDir(), conf)
}

// queueBenchOpen opens (migrating) the database at dbPath and publishes the seed
// consultation in it, as the server does on start.
func queueBenchOpen(tb testing.TB, dbPath string) (*app, *store.Store) {
	tb.Helper()
	cfg := queueBenchConfig(tb, dbPath)
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Database.Path)
	if err != nil {
		tb.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := syncConsultations(ctx, st, cfg, logger); err != nil {
		st.Close()
		tb.Fatal(err)
	}
	a, err := newApp(cfg, st, logger)
	if err != nil {
		st.Close()
		tb.Fatal(err)
	}
	return a, st
}

// queueBenchBuild fills a new database at dbPath with n generated comments on the seed
// consultation the way a newcomer would: `consult generate` writes them to a CSV file
// and `consult import` reads it (importCommand, in this process), which stores every
// row, index, FTS entry and duplicate group as the web path does (store.ImportComments:
// normalised hash, then the five MinHash LSH bands). The generator's statuses (triage
// under way: about 30% decided, older comments more often) come in through the
// import's status column; decisions made that way have no response, decider or audit
// entry. Imported comments are dated by received_at (a letter's day of receipt) and
// recorded by "import". It also adds the officer account the benchmark signs in with.
func queueBenchBuild(tb testing.TB, dbPath string, n int, logf func(string, ...any)) {
	tb.Helper()
	a, st := queueBenchOpen(tb, dbPath)
	defer st.Close()
	ctx := context.Background()
	h, err := hashPassword(testPassword)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := st.CreateUser(ctx, store.Actor{Username: "bench"}, queueBenchUser, h, store.RoleOfficer); err != nil {
		tb.Fatal(err)
	}
	csvPath := dbPath + ".csv"
	f, err := os.Create(csvPath)
	if err != nil {
		tb.Fatal(err)
	}
	defer os.Remove(csvPath)
	if err := generateCommand([]string{"-n", strconv.Itoa(n), "-seed", strconv.Itoa(queueBenchSeed)}, f); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	var out strings.Builder
	progress := io.Discard
	if logf != nil {
		progress = os.Stderr
	}
	if err := runCommandWith(ctx, a.cfg, st, []string{"import", "-consultation", seedSlug, csvPath}, &out, progress); err != nil {
		tb.Fatalf("import: %v\n%s", err, out.String())
	}
	if logf != nil {
		logf("%s", strings.TrimSpace(out.String()))
	}
}

// queueBenchDB returns the path of the cached benchmark database with n comments,
// os.TempDir()/consult-bench-1m.db for the full size, building it first when it is
// missing or was built from another generator version, seed or size (its key file
// says which). The build goes to a temporary name of its own and is renamed when
// complete, so an interrupted build is never used.
func queueBenchDB(tb testing.TB, n int) string {
	tb.Helper()
	name := "consult-bench-1m.db"
	if n != queueBenchN {
		name = fmt.Sprintf("consult-bench-%d.db", n)
	}
	path := filepath.Join(os.TempDir(), name)
	key := queueBenchKey(n)
	if b, err := os.ReadFile(path + ".key"); err == nil && string(b) == key {
		if _, err := os.Stat(path); err == nil && queueBenchMigratable(tb, path) {
			return path
		}
	}
	// Each process builds under its own name: two runs at once never share a file.
	tmp := fmt.Sprintf("%s.building-%d", path, os.Getpid())
	for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			tb.Fatal(err)
		}
	}
	// Progress goes to stderr: a benchmark's log appears only when it ends.
	logf := func(format string, a ...any) { fmt.Fprintf(os.Stderr, "queue bench: "+format+"\n", a...) }
	logf("building %s: %s", path, key)
	start := time.Now()
	queueBenchBuild(tb, tmp, n, logf)
	if _, err := os.Stat(tmp + "-wal"); err == nil {
		tb.Fatalf("%s-wal left after closing the store", tmp)
	}
	for _, p := range []string{path + ".key", path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			tb.Fatal(err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path+".key", []byte(key), 0o600); err != nil {
		tb.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	logf("built %s in %v: %d MiB", path, time.Since(start).Round(time.Second), fi.Size()>>20)
	return path
}

// queueBenchMigratable reports whether store.Open can bring the database at path to
// this tree's schema: it applies only migrations numbered above the newest one applied,
// so a database that lacks a lower-numbered migration added since must be rebuilt.
func queueBenchMigratable(tb testing.TB, path string) bool {
	tb.Helper()
	entries, err := os.ReadDir("../store/migrations")
	if err != nil {
		tb.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	applied := map[int]bool{}
	newest := 0
	rows, err := db.Query(`SELECT version FROM schema_migrations`)
	if err != nil {
		return false
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			tb.Fatal(err)
		}
		applied[v], newest = true, max(newest, v)
	}
	rows.Close()
	for _, e := range entries {
		num, _, _ := strings.Cut(e.Name(), "_")
		if v, err := strconv.Atoi(num); err == nil && v < newest && !applied[v] {
			fmt.Fprintf(os.Stderr, "queue bench: %s lacks migration %s, which store.Open would skip: rebuilding\n", path, e.Name())
			return false
		}
	}
	return true
}

// queueBenchScenario is one kind of queue request an officer makes.
type queueBenchScenario struct {
	name   string
	group  string        // queue, deep, filter or search
	query  string        // the URL query of the queue page (without cursor)
	deep   int           // > 0: follow the next-page link this many times (pages 2..deep+1)
	random bool          // cursors at pseudo-random depths over the whole queue
	target time.Duration // the target for the p95
	hits   bool          // the first page must list comments
	rare   bool          // (but a small database may have none)
}

const (
	queueTarget  = 50 * time.Millisecond
	searchTarget = 150 * time.Millisecond
)

// queueBenchScenarios are (a) the first page with the default filters, (b) deep pages
// through the cursor, (c) filters, (d) searches for two-, three- and ten-character
// words, common and rare (their shares of the generated comments are pinned by
// store/gen's TestSearchWordFrequencies).
var queueBenchScenarios = []queueBenchScenario{
	{name: "a-first-page", group: "queue", target: queueTarget, hits: true},
	{name: "a-first-page-expanded", group: "queue", query: "collapse=0", target: queueTarget, hits: true},
	{name: "b-next-pages", group: "deep", deep: 200, target: queueTarget, hits: true},
	{name: "b-random-depth", group: "deep", random: true, target: queueTarget, hits: true},
	{name: "b-oldest-first-next-pages", group: "deep", query: "sort=old", deep: 200, target: queueTarget, hits: true},
	{name: "b-largest-groups-first", group: "queue", query: "sort=group", target: queueTarget, hits: true},
	{name: "b-largest-groups-first-next-pages", group: "deep", query: "sort=group", deep: 200, target: queueTarget, hits: true},
	{name: "c-section-busy", group: "filter", query: "section=article-17", target: queueTarget, hits: true},
	{name: "c-section-quiet", group: "filter", query: "section=article-23", target: queueTarget, hits: true},
	{name: "c-status-pending", group: "filter", query: "status=pending", target: queueTarget, hits: true},
	{name: "c-status-adopted", group: "filter", query: "status=adopted", target: queueTarget, hits: true},
	{name: "c-section-and-status", group: "filter", query: "section=article-15&status=rejected", target: queueTarget, hits: true, rare: true},
	{name: "c-section-and-status-next-pages", group: "filter", query: "section=article-15&status=rejected", deep: 50, target: queueTarget, hits: true, rare: true},
	{name: "c-identity-government", group: "filter", query: "identity=政府部门", target: queueTarget, hits: true},
	{name: "c-channel-phone", group: "filter", query: "channel=phone", target: queueTarget, hits: true},
	{name: "c-one-day", group: "filter", query: "from=2023-01-10&to=2023-01-10", target: queueTarget, hits: true},
	{name: "d-2char-very-common-企业", group: "search", query: "q=企业", target: searchTarget, hits: true},
	{name: "d-2char-common-招商", group: "search", query: "q=招商", target: searchTarget, hits: true},
	{name: "d-2char-rare-枸杞", group: "search", query: "q=枸杞", target: searchTarget, hits: true, rare: true},
	{name: "d-3char-common-新材料", group: "search", query: "q=新材料", target: searchTarget, hits: true},
	{name: "d-3char-rare-奶制品", group: "search", query: "q=奶制品", target: searchTarget, hits: true, rare: true},
	{name: "d-10char-campaign-新材料产业的扶持力度", group: "search", query: "q=新材料产业的扶持力度", target: searchTarget, hits: true},
	{name: "d-10char-campaign-expanded", group: "search", query: "q=新材料产业的扶持力度&collapse=0", target: searchTarget, hits: true},
	{name: "d-10char-rare-枸杞深加工的目标建议", group: "search", query: "q=枸杞深加工的目标建议", target: searchTarget, hits: true, rare: true},
	{name: "d-10char-nowhere-建议取消员额制度改革试点", group: "search", query: "q=建议取消员额制度改革试点", target: searchTarget},
	{name: "d-two-words-营商环境-审批", group: "search", query: "q=营商环境+审批", target: searchTarget, hits: true},
	{name: "d-2char-and-section-招商", group: "search", query: "q=招商&section=article-15", target: searchTarget, hits: true},
	{name: "d-4char-and-quiet-section-营商环境", group: "search", query: "q=营商环境&section=article-23", target: searchTarget, hits: true},
	{name: "d-3char-and-quiet-section-none-新材料", group: "search", query: "q=新材料&section=article-23", target: searchTarget},
	{name: "d-2char-next-pages-企业", group: "search", query: "q=企业", deep: 50, target: searchTarget, hits: true},
}

// queueBenchEnv is the portal on a benchmark database, with an officer signed in.
type queueBenchEnv struct {
	app    *app
	store  *store.Store
	srv    *httptest.Server
	client *http.Client
	d      *draftData
	maxID  int64
	small  bool // a few thousand comments (TestQueueBenchSetup): rare words may be missing, pages few
}

func newQueueBenchEnv(tb testing.TB, dbPath string) *queueBenchEnv {
	tb.Helper()
	a, st := queueBenchOpen(tb, dbPath)
	tb.Cleanup(func() { st.Close() })
	e := &queueBenchEnv{app: a, store: st, srv: httptest.NewServer(a.routes())}
	tb.Cleanup(e.srv.Close)
	ctx := context.Background()
	var err error
	if e.d, err = a.loadDraft(ctx, seedSlug); err != nil {
		tb.Fatal(err)
	}
	rows, _, err := st.Queue(ctx, store.QueueFilter{ConsultationID: e.d.C.ID, Limit: 1})
	if err != nil || len(rows) != 1 {
		tb.Fatalf("newest comment: %v", err)
	}
	e.maxID = rows[0].ID
	e.small = e.maxID < 100000
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	e.client = &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	_, page := e.get(tb, "/admin/login")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		tb.Fatal("no _csrf on the login page")
	}
	resp, err := e.client.PostForm(e.srv.URL+"/admin/login", url.Values{"_csrf": {m[1]}, "username": {queueBenchUser}, "password": {testPassword}})
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		tb.Fatalf("login: status %d", resp.StatusCode)
	}
	return e
}

func (e *queueBenchEnv) get(tb testing.TB, path string) (int, string) {
	tb.Helper()
	resp, err := e.client.Get(e.srv.URL + path)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// cursorRE reads the cursor of the next-page link.
var cursorRE = regexp.MustCompile(`&amp;cursor=([0-9.]+)" id="next-page"`)

// paths returns n request paths of a scenario (or fewer, to be cycled through): its
// first page, or the pages reached through the next-page links (fetched here, untimed;
// at most sc.deep), or pages at pseudo-random depths over the whole queue.
func (e *queueBenchEnv) paths(tb testing.TB, sc queueBenchScenario, n int) []string {
	tb.Helper()
	base := "/admin/c/" + seedSlug + "/comments?" + encodeQuery(sc.query)
	var out []string
	switch {
	case sc.deep > 0:
		page := base
		for len(out) < min(sc.deep, n) {
			status, body := e.get(tb, page)
			if status != http.StatusOK {
				tb.Fatalf("%s: %s: status %d", sc.name, page, status)
			}
			m := cursorRE.FindStringSubmatch(body)
			if m == nil {
				break // the last page
			}
			page = base + "&cursor=" + m[1]
			out = append(out, page)
		}
		if len(out) == 0 && !e.small {
			tb.Fatalf("%s: no next page", sc.name)
		}
		if len(out) == 0 {
			out = []string{base}
		}
	case sc.random:
		x := uint64(12345)
		for range n {
			x = x*6364136223846793005 + 1442695040888963407
			id := 2 + int64((x>>33)%uint64(e.maxID-1))
			out = append(out, base+"&cursor=1."+strconv.FormatInt(id, 10))
		}
	default:
		out = []string{base}
	}
	return out
}

// encodeQuery percent-encodes a readable query such as "q=企业&section=article-15".
func encodeQuery(q string) string {
	v, err := url.ParseQuery(q)
	if err != nil {
		panic(err)
	}
	return v.Encode()
}

// run makes n requests of a scenario (cycling through its paths) one after another
// and returns their latencies, sorted; every answer must be 200.
func (e *queueBenchEnv) run(tb testing.TB, sc queueBenchScenario, paths []string, n int) []time.Duration {
	tb.Helper()
	lat := make([]time.Duration, 0, n)
	for i := range n {
		p := paths[i%len(paths)]
		start := time.Now()
		resp, err := e.client.Get(e.srv.URL + p)
		if err != nil {
			tb.Fatal(err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		lat = append(lat, time.Since(start))
		if err != nil {
			tb.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			tb.Fatalf("%s: %s: status %d", sc.name, p, resp.StatusCode)
		}
	}
	slices.Sort(lat)
	return lat
}

// percentile is the nearest-rank percentile of sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// check fetches a scenario's first path and reports how many rows the page lists and
// how many comments its filter matches (all copies counted), for the record.
func (e *queueBenchEnv) check(tb testing.TB, sc queueBenchScenario, paths []string) (rows, matches int) {
	tb.Helper()
	status, body := e.get(tb, paths[0])
	if status != http.StatusOK {
		tb.Fatalf("%s: status %d", sc.name, status)
	}
	rows = len(queueIDs(body))
	if sc.hits && rows == 0 && !(sc.rare && e.small) {
		tb.Fatalf("%s: %s lists no comments", sc.name, paths[0])
	}
	if !sc.hits && rows != 0 {
		tb.Fatalf("%s: %s lists %d comments, want none", sc.name, paths[0], rows)
	}
	v, err := url.ParseQuery(sc.query)
	if err != nil {
		tb.Fatal(err)
	}
	f, _ := queueFilter(e.d, v.Get)
	f.Collapse = false
	matches, err = e.store.CountQueue(context.Background(), f)
	if err != nil {
		tb.Fatal(err)
	}
	return rows, matches
}

func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(b))[0], 64)
	return f
}

// BenchmarkQueue measures the triage queue page of a consultation with 1,000,000
// comments through the real HTTP handler, signed in as an officer: one client, one
// request at a time. Each sub-benchmark makes b.N requests of one scenario and
// reports their p50, p95 and p99 latencies in milliseconds (and ns/op, their mean),
// the rows on the first page, how many comments the filter matches, and the 1-minute
// load average when it finished. Three untimed requests warm each scenario first.
//
// The database is built once (25 minutes on the reference machine) through
// store.CreateComment from store/gen and cached as os.TempDir()/consult-bench-1m.db
// (see queueBenchDB); -timeout 0 lets the first run build it.
func BenchmarkQueue(b *testing.B) {
	e := newQueueBenchEnv(b, queueBenchDB(b, queueBenchN))
	for _, sc := range queueBenchScenarios {
		b.Run(sc.name, func(b *testing.B) {
			paths := e.paths(b, sc, max(b.N, 1))
			rows, matches := e.check(b, sc, paths)
			e.run(b, sc, paths, 3)
			b.ResetTimer()
			lat := e.run(b, sc, paths, b.N)
			b.StopTimer()
			b.ReportMetric(ms(percentile(lat, 50)), "p50-ms")
			b.ReportMetric(ms(percentile(lat, 95)), "p95-ms")
			b.ReportMetric(ms(percentile(lat, 99)), "p99-ms")
			b.ReportMetric(float64(rows), "rows")
			b.ReportMetric(float64(matches), "matches")
			b.ReportMetric(loadAverage(), "load1")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// TestQueueBenchSetup builds a small benchmark database the way BenchmarkQueue builds
// its big one, checks that it holds what the generator produced (rows, duplicate
// groups, the search index), and runs every scenario for a couple of requests, so the
// benchmark cannot rot silently under `go test`.
func TestQueueBenchSetup(t *testing.T) {
	const n = 2000
	path := filepath.Join(t.TempDir(), "bench.db")
	queueBenchBuild(t, path, n, nil)
	e := newQueueBenchEnv(t, path)
	if !e.small {
		t.Fatal("a 2,000-comment database is not small")
	}
	ctx := context.Background()

	// What the generator produced, comment by comment.
	g := gen.New(gen.Options{Seed: queueBenchSeed, N: n, Opens: seedOpens, Closes: seedCloses}) // as generate makes them
	var want []gen.Comment
	copies := 0
	for c, ok := g.Next(); ok; c, ok = g.Next() {
		want = append(want, c)
		if c.Campaign >= 0 {
			copies++
		}
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var count, groups, sizes, grouped, badGroups int
	q := func(dest *int, query string) {
		t.Helper()
		if err := db.QueryRowContext(ctx, query).Scan(dest); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	q(&count, `SELECT COUNT(*) FROM comments`)
	q(&groups, `SELECT COUNT(*) FROM dup_groups`)
	q(&sizes, `SELECT COALESCE(SUM(size), 0) FROM dup_groups`)
	q(&grouped, `SELECT COUNT(*) FROM comments c JOIN dup_groups g ON g.id = c.group_id WHERE g.size > 1`)
	// A group's id is its first comment's, and its size is how many comments it has.
	q(&badGroups, `SELECT COUNT(*) FROM dup_groups g WHERE g.id != (SELECT MIN(id) FROM comments WHERE group_id = g.id)
		OR g.size != (SELECT COUNT(*) FROM comments WHERE group_id = g.id)`)
	if count != n || sizes != n || badGroups != 0 {
		t.Fatalf("%d comments, group sizes sum to %d, %d inconsistent groups; want %d, %d, 0", count, sizes, badGroups, n, n)
	}
	if grouped < copies*9/10 || groups > n-copies*9/10 {
		t.Errorf("%d comments in %d groups, %d in groups of two or more; the generator wrote %d campaign copies", n, groups, grouped, copies)
	}
	// Every generated comment is stored as generated, as the import stores it: dated
	// by its day of receipt when it came by letter, e-mail or phone, recorded by
	// "import" (compared as multisets).
	rows, err := db.QueryContext(ctx, `SELECT body, section_anchor, name, identity, organization, phone, email, publish_name,
		channel, status, created_at, received_at, recorded_by FROM comments`)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	key := func(c gen.Comment) string {
		var recv int64
		if !c.ReceivedAt.IsZero() {
			recv = c.ReceivedAt.Unix()
		}
		return fmt.Sprint(c.Body, "|", c.SectionAnchor, "|", c.Name, "|", c.Identity, "|", c.Organization, "|", c.Phone, "|",
			c.Email, "|", c.PublishName, "|", c.Channel, "|", c.Status, "|", c.CreatedAt.Unix(), "|", recv, "|", c.RecordedBy)
	}
	for rows.Next() {
		var c gen.Comment
		var created, received int64
		if err := rows.Scan(&c.Body, &c.SectionAnchor, &c.Name, &c.Identity, &c.Organization, &c.Phone, &c.Email, &c.PublishName,
			&c.Channel, &c.Status, &created, &received, &c.RecordedBy); err != nil {
			t.Fatal(err)
		}
		c.CreatedAt = time.Unix(created, 0)
		if received != 0 {
			c.ReceivedAt = time.Unix(received, 0)
		}
		seen[key(c)]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for _, c := range want {
		if !c.ReceivedAt.IsZero() {
			c.CreatedAt = c.ReceivedAt
		}
		c.RecordedBy = "import"
		k := key(c)
		if seen[k] == 0 {
			t.Fatalf("generated comment %d is not stored as generated: %+v", c.Seq, c)
		}
		seen[k]--
	}

	// The search index finds exactly the comments that contain each word.
	for _, w := range []string{"企业", "招商", "新材料", "营商环境", "新材料产业的扶持力度", "设立专项资金", "谢谢"} {
		wantN := 0
		for _, c := range want {
			if strings.Contains(strings.ToLower(c.Body), w) {
				wantN++
			}
		}
		got, err := e.store.CountQueue(ctx, store.QueueFilter{ConsultationID: e.d.C.ID, Q: w})
		if err != nil {
			t.Fatal(err)
		}
		if got != wantN || got == 0 {
			t.Errorf("search %q counts %d comments; %d contain it", w, got, wantN)
		}
	}

	for _, sc := range queueBenchScenarios {
		paths := e.paths(t, sc, 2)
		rows, matches := e.check(t, sc, paths)
		if lat := e.run(t, sc, paths, 2); len(lat) != 2 || percentile(lat, 50) <= 0 {
			t.Errorf("%s: latencies %v", sc.name, lat)
		}
		if sc.hits && !sc.rare && (rows == 0 || matches < rows) {
			t.Errorf("%s: %d rows, %d matches", sc.name, rows, matches)
		}
	}
	if percentile([]time.Duration{1, 2, 3, 4}, 50) != 2 || percentile([]time.Duration{1, 2, 3, 4}, 99) != 4 {
		t.Error("percentile is not the nearest rank")
	}
}

// TestQueueAgreesWithBruteForce pages through the queue of a small generated database
// (plus a few comments with Latin letters and rare words) with every kind of search,
// filter, order and page size, and compares what it lists with the same selection
// done by hand in Go over all the comments: the queue's several ways of finding a page
// (store/queue.go) must list exactly what the filter means.
func TestQueueAgreesWithBruteForce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.db")
	queueBenchBuild(t, path, 2000, nil)
	e := newQueueBenchEnv(t, path)
	ctx := context.Background()
	for i, body := range []string{
		"建议鸵鸟养殖项目也能享受招商引资优惠。", // a rare caseless word among the oldest-but-one comments
		"R&D经费投入要提高到3%以上,建议引进ABC公司。",
		"abc 和 Abc 都应该支持, AI产业要加快发展。",
		"鸵鸟",
	} {
		c := &store.Comment{ConsultationID: e.d.C.ID, SectionAnchor: "article-17", SectionID: e.d.Section("article-17").ID,
			Body: body, Name: "测试", Identity: "个人", ConsentedAt: e.d.C.OpensAt, CreatedAt: e.d.C.OpensAt.Add(time.Duration(i) * time.Minute)}
		if _, _, err := e.store.CreateComment(ctx, c); err != nil {
			t.Fatal(err)
		}
	}

	type row struct {
		id, group, size       int64
		body, section, status string
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rs, err := db.QueryContext(ctx, `SELECT c.id, c.group_id, g.size, c.body, c.section_anchor, c.status
		FROM comments c JOIN dup_groups g ON g.id = c.group_id`)
	if err != nil {
		t.Fatal(err)
	}
	var all []row
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.id, &r.group, &r.size, &r.body, &r.section, &r.status); err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
	rs.Close()
	if len(all) != 2004 {
		t.Fatalf("%d comments", len(all))
	}
	biggest := all[0]
	for _, r := range all {
		if r.size > biggest.size {
			biggest = r
		}
	}

	// want is the filter done by hand: every word in the lower-cased body (the index
	// folds case), the other fields as queueConds has them, and the order.
	want := func(f store.QueueFilter) []int64 {
		var sel []row
		for _, r := range all {
			ok := (f.Section == "" || r.section == f.Section) && (f.Status == "" || r.status == f.Status) &&
				(f.GroupID == 0 || r.group == f.GroupID) && (!f.Collapse || f.GroupID != 0 || r.id == r.group)
			for _, w := range strings.Fields(f.Q) {
				ok = ok && strings.Contains(strings.ToLower(r.body), strings.ToLower(w))
			}
			if ok {
				sel = append(sel, r)
			}
		}
		slices.SortFunc(sel, func(a, b row) int {
			switch f.Sort {
			case "old":
				return cmp.Compare(a.id, b.id)
			case "group":
				if a.size != b.size {
					return cmp.Compare(b.size, a.size)
				}
			}
			return cmp.Compare(b.id, a.id)
		})
		ids := make([]int64, len(sel))
		for i, r := range sel {
			ids[i] = r.id
		}
		return ids
	}

	queries := []string{"", "zq", "zq 企业", "企业", "招商 企业", "枸杞", "鸵鸟", "鲸鱼", "新材料", "新材料产业的扶持力度", "营商环境 审批",
		"枸杞深加工的目标建议", "建议取消员额制度改革试点", "R&D", "abc", "ai", "ABC 建议", "3%以", "鸵鸟 招商引资"}
	filters := []store.QueueFilter{
		{}, {Collapse: true}, {Section: "article-17"}, {Status: "pending", Collapse: true}, {Sort: "old"},
		{Sort: "old", Collapse: true}, {Sort: "group"}, {Sort: "group", Collapse: true},
		{Sort: "group", Collapse: true, Section: "article-15"}, {GroupID: biggest.group, Collapse: true},
	}
	walks, searched := 0, 0
	for _, q := range queries {
		for _, base := range filters {
			wantIDs := want(store.QueueFilter{Q: q, Section: base.Section, Status: base.Status, GroupID: base.GroupID,
				Collapse: base.Collapse, Sort: base.Sort})
			for _, limit := range []int{1, 7, 50} {
				f := base
				f.ConsultationID, f.Q, f.Limit = e.d.C.ID, q, limit
				maxPages := 1 << 30
				if limit < 50 {
					maxPages = 30 // the first pages: walking 2,000 comments one at a time takes long
				}
				var got []int64
				for page := 0; page < maxPages; page++ {
					rows, next, err := e.store.Queue(ctx, f)
					if err != nil {
						t.Fatalf("%+v: %v", f, err)
					}
					if len(rows) > limit || (next != "" && len(rows) != limit) {
						t.Fatalf("%+v: %d rows, next %q", f, len(rows), next)
					}
					for _, r := range rows {
						got = append(got, r.ID)
					}
					if next == "" {
						break
					}
					f.Cursor = next
				}
				w := wantIDs
				if len(got) < len(w) && limit < 50 {
					w = w[:len(got)]
				}
				if !slices.Equal(got, w) {
					t.Errorf("q %q, filter %+v, %d a page: lists %d comments %v…, want %d %v…", q, base, limit,
						len(got), got[:min(len(got), 8)], len(wantIDs), wantIDs[:min(len(wantIDs), 8)])
				}
				walks++
				if q != "" && len(wantIDs) > 0 {
					searched++
				}
			}
		}
	}
	if searched < 200 {
		t.Errorf("only %d of %d walks found anything", searched, walks)
	}
	// A word of one character is refused, unless a word before it matches nothing (as
	// the bulk count has it).
	for q, wantErr := range map[string]bool{"招商 招": true, "招 企业": true, "zq 招": false, "鲸鱼 招": false} {
		rows, _, err := e.store.Queue(ctx, store.QueueFilter{ConsultationID: e.d.C.ID, Q: q})
		_, cerr := e.store.CountQueue(ctx, store.QueueFilter{ConsultationID: e.d.C.ID, Q: q})
		if errors.Is(err, store.ErrShortQuery) != wantErr || errors.Is(cerr, store.ErrShortQuery) != wantErr || len(rows) != 0 {
			t.Errorf("%q: %d rows, error %v (count: %v), want refused: %v", q, len(rows), err, cerr, wantErr)
		}
	}
}
