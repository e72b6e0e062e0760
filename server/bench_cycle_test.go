package main

// BenchmarkCommentCycle measures what a person does: GET a fresh comment form (with
// the captcha on, also its image, as a browser does), then POST it (new body, the
// form's own form_key, and with the captcha on its captcha id and answer), at 1, 16
// and 64 clients, as comments/s with p50/p99 of the whole cycle. Kinds, each on a
// fresh server in the same run:
//
//   - bare: an echo server whose GET answers the portal's form page from memory and
//     whose POST is BenchmarkCommentIntake's insert-per-request ceiling (one INSERT
//     plus its FTS row in its own transaction, synchronous=FULL);
//   - portal-empty-captcha-off / -on: the whole portal on an empty database;
//   - portal-1m-captcha-off / -on: the whole portal on a copy of the 1,000,000-comment
//     benchmark database (bench_queue_test.go, built by generate + import and cached).
//
// With the captcha on, the answer is read through captchaAnswerFor, a hook that exists
// only in the test binary. Rate limits are off (every client is 127.0.0.1).
//
// BenchmarkDraftPageWhileCommenting is BenchmarkDraftPage at 64 connections while 4
// clients post comments to the portal all the time, beside the pre-compressed
// ceiling measured under the same stream.
//
// BenchmarkStartup1M starts the real binary on a copy of the million and reports the
// time until it answers the draft page, then its peak RSS after 64 clients ran the
// cycle against it.
//
// Reproduce (bench/cycle.txt; CONSULT_CYCLE_SKIP_1M=1 leaves the million out,
// CONSULT_CYCLE_N=200000 uses a database of that size instead, still named "1m"):
//
//	go test -tags sqlite_fts5 -run '^$' -bench 'CommentCycle|DraftPageWhileCommenting|Startup1M' -benchtime 3s -timeout 0 ./server/
//
// TestCycleBenchSetup runs every kind for a few cycles.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// cycleBenchLimits turns the per-client limits off; the captcha stays as configured.
const cycleBenchLimits = `
[limits]
comments_per_minute = 0
captchas_per_minute = 0
`

var cycleFormPath = "/c/" + seedSlug + "/comment?section=general"

// captchaAnswerFor is the benchmark's hook for a captcha's answer. It exists only in
// the test binary.
func captchaAnswerFor(a *app, id string) (string, error) { return a.store.CaptchaDigits(id, a.now()) }

// cycleTarget is one server under test.
type cycleTarget struct {
	base  string
	app   *app       // nil for the bare ceiling
	count func() int // comments stored
	// commits counts the portal's group commits (nil for the bare ceiling): how many
	// comments share one, and how much of the time the single writer spends writing.
	commits *commitStats
}

type commitStats struct{ batches, comments, busy atomic.Int64 }

type cycleKind struct {
	name  string
	start func(tb testing.TB) cycleTarget
}

// millionCopy is a copy of the cached million-comment database, made once per process
// and shared by every run on the million (each adds a few thousand comments to it).
var millionCopy struct {
	once sync.Once
	path string
	err  error
}

// cycleBigN is the size of the big database: 1,000,000 unless CONSULT_CYCLE_N says
// otherwise (a smaller one builds faster on a busy machine).
func cycleBigN() int {
	if v := os.Getenv("CONSULT_CYCLE_N"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return queueBenchN
}

func cycleMillionCopy(tb testing.TB) string {
	tb.Helper()
	src := queueBenchDB(tb, cycleBigN())
	millionCopy.once.Do(func() {
		dir, err := os.MkdirTemp("", "consult-cycle-")
		if err != nil {
			millionCopy.err = err
			return
		}
		millionCopy.path = filepath.Join(dir, "million.db")
		millionCopy.err = exec.Command("cp", src, millionCopy.path).Run()
		// The copy's gigabytes would otherwise be written back while the benchmark runs,
		// and its fsyncs would wait behind them.
		syscall.Sync()
	})
	if millionCopy.err != nil {
		tb.Fatal(millionCopy.err)
	}
	return millionCopy.path
}

func startCyclePortal(tb testing.TB, dbPath string, captcha bool) cycleTarget {
	tb.Helper()
	conf := testConfig + cycleBenchLimits
	if !captcha {
		conf += "[captcha]\nenabled = false\n"
	}
	if dbPath != "" {
		conf = strings.Replace(conf, `path = "data/test.db"`, "path = "+strconv.Quote(dbPath), 1)
	}
	cfg := writeTestConfig(tb, tb.TempDir(), conf)
	st, logger := openTestStore(tb, cfg)
	tb.Cleanup(func() { st.Close() })
	a, err := newApp(cfg, st, logger)
	if err != nil {
		tb.Fatal(err)
	}
	a.now = func() time.Time { return inWindow }
	commits := &commitStats{}
	st.OnCommit(func(n int, took time.Duration) {
		a.metrics.observeCommit(n, took)
		commits.batches.Add(1)
		commits.comments.Add(int64(n))
		commits.busy.Add(int64(took))
	})
	srv := httptest.NewServer(a.routes())
	tb.Cleanup(srv.Close)
	cid := int64(1)
	return cycleTarget{base: srv.URL, app: a, commits: commits, count: func() int {
		counts, err := st.CommentCounts(context.Background(), cid)
		if err != nil {
			tb.Fatal(err)
		}
		n := 0
		for _, v := range counts {
			n += v
		}
		return n
	}}
}

// startCycleBare is the ceiling: the form page from memory, one insert per POST.
func startCycleBare(tb testing.TB) cycleTarget {
	tb.Helper()
	// The page the portal serves, captured once.
	p := startCyclePortal(tb, "", false)
	resp, err := http.Get(p.base + cycleFormPath)
	if err != nil {
		tb.Fatal(err)
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		tb.Fatal(err)
	}
	ci := newCommentBenchInsert(tb)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	m := cycleFormKeyRE.FindSubmatchIndex(page)
	if m == nil {
		tb.Fatal("no form_key in the form page")
	}
	before, after := page[:m[2]], page[m[3]:]
	e.GET("/c/:slug/comment", func(c echo.Context) error { // the page with a fresh form key
		out := make([]byte, 0, len(page))
		out = append(append(append(out, before...), commentBenchFormKey()...), after...)
		return c.HTMLBlob(http.StatusOK, out)
	})
	e.POST(commentBenchPostPath, echo.WrapHandler(ci.srv.Config.Handler))
	srv := httptest.NewServer(e)
	tb.Cleanup(srv.Close)
	return cycleTarget{base: srv.URL, count: func() int { return ci.count(tb) }}
}

var cycleKinds = []cycleKind{
	{"bare", startCycleBare},
	{"portal-empty-captcha-off", func(tb testing.TB) cycleTarget { return startCyclePortal(tb, "", false) }},
	{"portal-empty-captcha-on", func(tb testing.TB) cycleTarget { return startCyclePortal(tb, "", true) }},
	{"portal-1m-captcha-off", func(tb testing.TB) cycleTarget { return startCyclePortal(tb, cycleMillionCopy(tb), false) }},
	{"portal-1m-captcha-on", func(tb testing.TB) cycleTarget { return startCyclePortal(tb, cycleMillionCopy(tb), true) }},
}

var (
	cycleFormKeyRE = regexp.MustCompile(`name="form_key" value="([A-Za-z0-9_-]{22})"`)
	cycleCaptchaRE = regexp.MustCompile(`name="captcha_id" value="([A-Z2-7]{20})"`)
)

// cycle does one GET form + POST as client c against tg.
func cycle(c *commentBenchClient, tg cycleTarget) error {
	resp, err := c.hc.Get(c.base + cycleFormPath)
	if err != nil {
		return err
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("form: status %d", resp.StatusCode)
	}
	form := c.prefix + url.QueryEscape(commentBenchBody(c.rng))
	m := cycleFormKeyRE.FindSubmatch(page)
	if m == nil {
		return errors.New("form: no form_key")
	}
	form += "&form_key=" + string(m[1])
	if cm := cycleCaptchaRE.FindSubmatch(page); cm != nil {
		if tg.app == nil {
			return errors.New("captcha on the bare page")
		}
		// The browser loads the captcha's image with the form.
		img, err := c.hc.Get(c.base + "/captcha/" + string(cm[1]) + "/image.png")
		if err != nil {
			return err
		}
		n, err := io.Copy(io.Discard, img.Body)
		img.Body.Close()
		if err != nil {
			return err
		}
		if img.StatusCode != http.StatusOK || img.Header.Get("Content-Type") != "image/png" || n == 0 {
			return fmt.Errorf("captcha image: status %d, %s, %d bytes", img.StatusCode, img.Header.Get("Content-Type"), n)
		}
		ans, err := captchaAnswerFor(tg.app, string(cm[1]))
		if err != nil {
			return err
		}
		form += "&captcha_id=" + string(cm[1]) + "&captcha_solution=" + ans
	}
	_, err = c.send(form)
	return err
}

func cycleClients(tb testing.TB, tg cycleTarget, conns int) []*commentBenchClient {
	tb.Helper()
	return cycleClientsOn(tb, tg.base, tg.app != nil, conns)
}

// cycleClientsOn opens conns clients on base; portal clients first fetch a form for
// their CSRF cookie and token.
func cycleClientsOn(tb testing.TB, base string, portal bool, conns int) []*commentBenchClient {
	tb.Helper()
	clients := make([]*commentBenchClient, conns)
	for i := range clients {
		c := newCommentBenchClient(tb, base)
		tb.Cleanup(c.tr.CloseIdleConnections)
		if portal {
			if err := c.openForm(); err != nil { // the CSRF cookie and token
				tb.Fatal(err)
			}
		} else {
			c.setForm("")
		}
		clients[i] = c
	}
	return clients
}

func TestCycleBenchSetup(t *testing.T) {
	for _, k := range cycleKinds {
		if strings.Contains(k.name, "1m") {
			continue // the million is built by the benchmark; the same code runs on empty
		}
		t.Run(k.name, func(t *testing.T) {
			tg := k.start(t)
			clients := cycleClients(t, tg, 2)
			n0 := tg.count()
			for range 3 {
				for _, c := range clients {
					if err := cycle(c, tg); err != nil {
						t.Fatal(err)
					}
				}
			}
			if n := tg.count() - n0; n != 6 {
				t.Fatalf("%d comments stored after 6 cycles", n)
			}
		})
	}
}

func BenchmarkCommentCycle(b *testing.B) {
	for _, n := range commentBenchConns {
		for _, k := range cycleKinds {
			if os.Getenv("CONSULT_CYCLE_SKIP_1M") != "" && strings.Contains(k.name, "1m") {
				continue
			}
			b.Run(fmt.Sprintf("%s/conns=%d", k.name, n), func(b *testing.B) { runCycleBench(b, k, n) })
		}
	}
}

func runCycleBench(b *testing.B, k cycleKind, conns int) {
	tg := k.start(b)
	clients := cycleClients(b, tg, conns)
	n0 := tg.count()
	lat := make([][]time.Duration, conns)
	errs := make([]error, conns)
	var next, acked atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	cpu0 := commentBenchCPU(b)
	load0 := othersLoad()
	var batches0, comments0, busy0 int64
	if tg.commits != nil {
		batches0, comments0, busy0 = tg.commits.batches.Load(), tg.commits.comments.Load(), tg.commits.busy.Load()
	}
	b.ResetTimer()
	start := time.Now()
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() && next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if err := cycle(c, tg); err != nil {
					errs[i] = err
					failed.Store(true)
					return
				}
				acked.Add(1)
				lat[i] = append(lat[i], time.Since(t0))
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
	if n := tg.count() - n0; int64(n) != acked.Load() {
		b.Fatalf("%d cycles acknowledged but %d comments stored", acked.Load(), n)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	pct := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))].Nanoseconds()) / 1e6 }
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "comments/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(b.N), "cpu-µs/cycle")
	if tg.commits != nil {
		if batches := tg.commits.batches.Load() - batches0; batches > 0 {
			b.ReportMetric(float64(tg.commits.comments.Load()-comments0)/float64(batches), "comments/commit")
			b.ReportMetric(100*float64(tg.commits.busy.Load()-busy0)/float64(elapsed.Nanoseconds()), "writer-busy-%")
		}
	}
	size := ""
	if strings.Contains(k.name, "1m") {
		size = fmt.Sprintf(" (database of %d generated comments)", cycleBigN())
	}
	fmt.Fprintf(os.Stderr, "cycle bench: %s%s conns=%d: %d cycles in %v, load1 %s -> %s\n", k.name, size, conns, b.N, elapsed.Round(time.Millisecond), load0, othersLoad())
}

// BenchmarkDraftPageWhileCommenting: the draft page at 64 connections while 4 clients
// post comments without pause, beside the pre-compressed ceiling under the same stream.
func BenchmarkDraftPageWhileCommenting(b *testing.B) {
	runDraftWhileCommenting(b, func(name, base string) {
		b.Run(name+"/conns=64", func(b *testing.B) { runDraftBench(b, base, 64, -1) })
	})
}

// TestDraftWhileCommentingBenchSetup runs the same setup with a few requests per side.
func TestDraftWhileCommentingBenchSetup(t *testing.T) {
	runDraftWhileCommenting(t, func(name, base string) {
		tr := newDraftBenchClient()
		defer tr.CloseIdleConnections()
		for range 20 {
			resp, _, err := draftBenchGet(tr, base)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkDraftBenchResp(resp); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	})
}

// runDraftWhileCommenting starts the portal, a ceiling serving its draft page from
// memory and 4 commenters, and calls measure for the ceiling then the portal.
func runDraftWhileCommenting(b testing.TB, measure func(name, base string)) {
	tg := startCyclePortal(b, "", false)
	// The ceiling serves the page as it is when the stream starts, from memory.
	resp, gz, err := draftBenchGet(newDraftBenchClient(), tg.base)
	if err != nil {
		b.Fatal(err)
	}
	if err := checkDraftBenchResp(resp); err != nil {
		b.Fatal(err)
	}
	ctype := resp.Header.Get("Content-Type")
	ceiling := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", ctype)
		h.Set("Content-Encoding", "gzip")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(gz)
	}))
	b.Cleanup(ceiling.Close)
	commenters := cycleClients(b, tg, 4)
	stop := make(chan struct{})
	var posted atomic.Int64
	var wg sync.WaitGroup
	for _, c := range commenters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := cycle(c, tg); err != nil {
					b.Error(err)
					return
				}
				posted.Add(1)
			}
		}()
	}
	renders0 := tg.app.draftRenders.Load()
	start := time.Now()
	measure("ceiling", ceiling.URL)
	measure("portal", tg.base)
	close(stop)
	wg.Wait()
	el := time.Since(start)
	fmt.Fprintf(os.Stderr, "draft while commenting: %d comments in %v (%.0f/s) arrived during both runs; %d draft renders\n",
		posted.Load(), el.Round(time.Millisecond), float64(posted.Load())/el.Seconds(), tg.app.draftRenders.Load()-renders0)
}

// BenchmarkStartup1M starts the real binary on a copy of the million-comment database:
// the time until the draft page answers, and the process's peak RSS after 64 clients
// ran the GET form + POST cycle against it for a while (captcha off: the child's
// answers are not reachable from the test binary).
func BenchmarkStartup1M(b *testing.B) {
	src := cycleMillionCopy(b)
	bin := buildConsult(b, b.TempDir())
	for range b.N {
		up, rss, cycles := runStartupBench(b, bin, src, 64, 40)
		b.ReportMetric(up.Seconds()*1000, "startup-ms")
		b.ReportMetric(float64(rss)/1024, "MiB-peak-rss")
		fmt.Fprintf(os.Stderr, "startup on the big database (%d comments): %v to the first draft page; peak RSS %d MiB after %d cycles at 64 clients\n",
			cycleBigN(), up.Round(time.Millisecond), rss>>10, cycles)
	}
}

// TestStartupBenchSetup runs the start-up benchmark's code on 2,000 comments.
func TestStartupBenchSetup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	src := filepath.Join(t.TempDir(), "small.db")
	queueBenchBuild(t, src, 2000, nil)
	up, rss, cycles := runStartupBench(t, buildConsult(t, t.TempDir()), src, 4, 3)
	if up <= 0 || rss <= 0 || cycles != 12 {
		t.Fatalf("startup %v, rss %d kB, %d cycles", up, rss, cycles)
	}
}

// runStartupBench starts bin on the database at src (captcha off, an open window),
// waits for the draft page, runs perClient cycles from each of conns clients, and
// returns the start-up time, the peak RSS in kB and the cycles done.
func runStartupBench(tb testing.TB, bin, src string, conns, perClient int) (time.Duration, int64, int64) {
	tb.Helper()
	cfgDir := tb.TempDir()
	addr := freeAddr(tb)
	conf := strings.Replace(testConfig+cycleBenchLimits+"[captcha]\nenabled = false\n", `path = "data/test.db"`, "path = "+strconv.Quote(src), 1)
	conf = strings.Replace(conf, `addr = "127.0.0.1:0"`, `addr = "`+addr+`"`, 1)
	// An open window, so the form accepts comments.
	conf = strings.Replace(conf, "closes_at = 2023-02-07T17:00:00+08:00", "closes_at = 2099-02-07T17:00:00+08:00", 1)
	writeTestConfig(tb, cfgDir, conf)
	logf, err := os.Create(filepath.Join(cfgDir, "server.log"))
	if err != nil {
		tb.Fatal(err)
	}
	defer logf.Close()
	child := exec.Command(bin, "-config", filepath.Join(cfgDir, "config.toml"))
	child.Stdout, child.Stderr = logf, logf
	start := time.Now()
	if err := child.Start(); err != nil {
		tb.Fatal(err)
	}
	defer func() {
		child.Process.Signal(syscall.SIGTERM)
		child.Wait()
	}()
	base := "http://" + addr
	var up time.Duration
	for {
		resp, err := http.Get(base + "/c/" + seedSlug)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				up = time.Since(start)
				break
			}
		}
		if time.Since(start) > time.Minute {
			tb.Fatal("the server did not answer within a minute")
		}
		time.Sleep(5 * time.Millisecond)
	}
	tg := cycleTarget{base: base}
	clients := cycleClientsOn(tb, base, true, conns)
	var wg sync.WaitGroup
	var done atomic.Int64
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perClient {
				if err := cycle(c, tg); err != nil {
					tb.Error(err)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return up, procStatusKB(tb, child.Process.Pid, "VmHWM"), done.Load()
}
