package main

// BenchmarkDraftPage measures requests/s for the draft page as a browser asks for it
// (Accept-Encoding with gzip, typical headers, no cookie) against a "ceiling": a bare
// net/http handler that writes the same pre-gzipped bytes from memory. Both are real
// HTTP servers on 127.0.0.1 (httptest.NewServer), driven by 1, 16 and 64 keep-alive
// connections, each connection a goroutine with its own http.Transport.
//
// Reproduce (see bench/draft-page.txt for the numbers on the reference machine):
//
//	go test -tags sqlite_fts5 -run '^$' -bench DraftPage -benchtime 60000x -count 3 ./server/
//
// TestDraftPageBenchSetup runs the same setup with one request of each kind, so the
// benchmark cannot rot silently under `go test`.

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var draftBenchConns = []int{1, 16, 64}

// draftBenchHeader is what a current desktop browser sends for a top-level navigation,
// minus the Cookie (a first visit, or a reader who never touched the reading settings).
var draftBenchHeader = http.Header{
	"User-Agent":      {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"},
	"Accept":          {"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8"},
	"Accept-Language": {"zh-CN,zh;q=0.9,en;q=0.8"},
	"Accept-Encoding": {"gzip, deflate, br, zstd"},
}

// draftBench is the two servers under test and the bytes both must send.
type draftBench struct {
	portal  *httptest.Server
	ceiling *httptest.Server
	gz      []byte // the draft page as the portal sends it gzipped
	ctype   string
}

// newDraftBench builds the whole portal on a real SQLite file, as newTestEnv does but
// for any testing.TB, fetches the gzipped draft page once, and starts the ceiling.
func newDraftBench(tb testing.TB) *draftBench {
	tb.Helper()
	cfg := writeTestConfig(tb, tb.TempDir(), testConfig)
	st, logger := openTestStore(tb, cfg)
	tb.Cleanup(func() { st.Close() })
	a, err := newApp(cfg, st, logger)
	if err != nil {
		tb.Fatal(err)
	}
	d := &draftBench{portal: httptest.NewServer(a.routes())}
	tb.Cleanup(d.portal.Close)

	c := newDraftBenchClient()
	defer c.CloseIdleConnections()
	resp, body, err := draftBenchGet(c, d.portal.URL)
	if err != nil {
		tb.Fatal(err)
	}
	if err := checkDraftBenchResp(resp); err != nil {
		tb.Fatal("portal: ", err)
	}
	d.gz, d.ctype = body, resp.Header.Get("Content-Type")

	gz, ctype := d.gz, d.ctype
	d.ceiling = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", ctype)
		h.Set("Content-Encoding", "gzip")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(gz)
	}))
	tb.Cleanup(d.ceiling.Close)
	return d
}

// newDraftBenchClient is one connection: one transport, one keep-alive connection,
// no transparent decompression (the body is read as sent).
func newDraftBenchClient() *http.Transport {
	return &http.Transport{
		MaxIdleConnsPerHost: 1,
		MaxConnsPerHost:     1,
		DisableCompression:  true,
	}
}

var draftBenchPath = "/c/" + seedSlug

// draftBenchGet asks base for the draft page and returns the response and its body.
func draftBenchGet(rt http.RoundTripper, base string) (*http.Response, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, base+draftBenchPath, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header = draftBenchHeader.Clone()
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, body, err
}

func checkDraftBenchResp(resp *http.Response) error {
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d, want 200", resp.StatusCode)
	}
	if ce := resp.Header.Get("Content-Encoding"); ce != "gzip" {
		return fmt.Errorf("Content-Encoding %q, want gzip", ce)
	}
	return nil
}

func TestDraftPageBenchSetup(t *testing.T) {
	d := newDraftBench(t)
	for _, srv := range []struct {
		name string
		url  string
	}{{"portal", d.portal.URL}, {"ceiling", d.ceiling.URL}} {
		c := newDraftBenchClient()
		resp, body, err := draftBenchGet(c, srv.url)
		c.CloseIdleConnections()
		if err != nil {
			t.Fatal(srv.name, err)
		}
		if err := checkDraftBenchResp(resp); err != nil {
			t.Fatal(srv.name, err)
		}
		if ct := resp.Header.Get("Content-Type"); ct != d.ctype {
			t.Errorf("%s: Content-Type %q, want %q", srv.name, ct, d.ctype)
		}
		if !bytes.Equal(body, d.gz) {
			t.Errorf("%s: body differs from the portal's first gzipped page (%d vs %d bytes)", srv.name, len(body), len(d.gz))
		}
	}
	if len(d.gz) < 1024 {
		t.Errorf("gzipped page is only %d bytes; is it the draft page?", len(d.gz))
	}
}

func BenchmarkDraftPage(b *testing.B) {
	d := newDraftBench(b)
	// Interleaved so each portal run is measured right after its ceiling.
	for _, n := range draftBenchConns {
		b.Run(fmt.Sprintf("ceiling/conns=%d", n), func(b *testing.B) { runDraftBench(b, d.ceiling.URL, n, len(d.gz)) })
		b.Run(fmt.Sprintf("portal/conns=%d", n), func(b *testing.B) { runDraftBench(b, d.portal.URL, n, len(d.gz)) })
	}
}

// runDraftBench sends b.N requests to base over conns keep-alive connections, each
// driven by its own goroutine, which take requests from a shared counter until b.N
// have been sent.
func runDraftBench(b *testing.B, base string, conns, size int) {
	clients := make([]*http.Transport, conns)
	for i := range clients {
		clients[i] = newDraftBenchClient()
	}
	defer func() {
		for _, c := range clients {
			c.CloseIdleConnections()
		}
	}()
	// Open every connection (and check the first response of each) before timing.
	for _, c := range clients {
		resp, body, err := draftBenchGet(c, base)
		if err != nil {
			b.Fatal(err)
		}
		if err := checkDraftBenchResp(resp); err != nil {
			b.Fatal(err)
		}
		if size >= 0 && len(body) != size { // size < 0: the page changes meanwhile
			b.Fatalf("body %d bytes, want %d", len(body), size)
		}
	}

	lat := make([][]time.Duration, conns)
	errs := make([]error, conns)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	cpu0, busy0 := draftBenchCPU(b), hostBusy()
	b.ResetTimer()
	start := time.Now()
	for i := range conns {
		lat[i] = make([]time.Duration, 0, b.N/conns+1)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := clients[i]
			req, err := http.NewRequest(http.MethodGet, base+draftBenchPath, nil)
			if err != nil {
				errs[i] = err
				return
			}
			req.Header = draftBenchHeader.Clone()
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				resp, err := c.RoundTrip(req)
				if err != nil {
					errs[i] = err
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[i] = append(lat[i], time.Since(t0))
				if err != nil {
					errs[i] = err
					return
				}
				if resp.StatusCode != http.StatusOK {
					errs[i] = fmt.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	cpu, busy1 := draftBenchCPU(b)-cpu0, hostBusy()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}

	all := slices.Concat(lat...)
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[int(p*float64(len(all)-1))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	// max far above p99 means a stall: CPUs taken by other work, GC, a cache refresh.
	b.ReportMetric(pct(1), "max-µs")
	// CPU time of this process (clients and server) per request. It moves much less
	// than req/s when other work shares the machine, so it still shows the cost gap.
	b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(b.N), "cpu-µs/req")
	// CPU the rest of the machine used meanwhile, in % of one core (as top shows it).
	// Far above 0, the line measured a shared machine and its req/s is not comparable.
	if busy0 >= 0 && busy1 >= 0 {
		b.ReportMetric(max(0, 100*float64(busy1-busy0-cpu)/float64(elapsed)), "others-%cpu")
	}
}

// draftBenchCPU is the user+system CPU time this process has used so far.
func draftBenchCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// hostBusy is the non-idle CPU time of the whole machine so far, from /proc/stat
// (Linux), or -1 when it cannot be read.
func hostBusy() time.Duration {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return -1
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 9 || f[0] != "cpu" {
		return -1
	}
	var busy int64
	for i, v := range f[1:9] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return -1
		}
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return time.Duration(busy) * (time.Second / 100) // USER_HZ is 100 on Linux
}
