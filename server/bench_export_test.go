package main

// BenchmarkExport100k measures the committee workbook (GET /admin/c/{slug}/export.xlsx)
// for 100,000 comments of realistic lengths, from the database to the last byte on the
// client, and the server's peak memory, beside a ceiling measured in the same run:
//
//   - export: the real binary (go build -tags sqlite_fts5) runs as a child process on
//     a database of generated comments; a signed-in admin downloads the workbook over
//     HTTP on 127.0.0.1 and writes it to a file. Wall time runs from the request to the
//     last byte written; memory is the child's VmHWM (/proc/<pid>/status; reset before
//     each download through /proc/<pid>/clear_refs), so it covers the whole server
//     process, SQLite included, and nothing of the client.
//   - excelize alone: the same rows, built beforehand in memory from the same database
//     with the export's own row code, streamed by excelize's StreamWriter with the same
//     column styles and saved with f.SaveAs (excelize's standard path: archive/zip into
//     a bytes.Buffer, then the file). Once with 意见明细 only, once with both long
//     sheets (every row the workbook has).
//
// The comments: lengths drawn from a log-normal distribution (median 150, mean about
// 300 characters, cut at 10,000), text made of sentences of the seed draft, a fifth of
// them copies of four campaign texts, statuses, responses, tags, names and contact
// details as a consultation collects them. Rounds alternate export and ceilings.
//
// Reproduce (numbers for the reference machine in bench/export.txt):
//
//	go test -tags sqlite_fts5 -run '^$' -bench Export100k -benchtime 1x -timeout 30m ./server/
//
// TestExportBenchSetup runs the whole thing on a few hundred comments, so the
// benchmark cannot rot silently under `go test`.

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"consult/store"
)

const (
	exportBenchComments = 100000
	exportBenchRounds   = 3
)

func BenchmarkExport100k(b *testing.B) {
	if testing.Short() {
		b.Skip("long benchmark")
	}
	r := runExportBench(b, exportBenchComments, exportBenchRounds)
	b.ReportMetric(r.median(r.export), "export-s")
	b.ReportMetric(r.median(r.detailOnly), "excelize-detail-s")
	b.ReportMetric(r.median(r.allRows), "excelize-all-s")
	b.ReportMetric(float64(slices.Max(r.peakKB))/1024, "server-peak-MB")
}

func TestExportBenchSetup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	r := runExportBench(t, 300, 1)
	if len(r.export) != 1 || r.export[0] <= 0 || r.peakKB[0] <= 0 {
		t.Fatalf("no measurement: %+v", r)
	}
}

type exportBenchResult struct {
	export, detailOnly, allRows []float64 // seconds
	peakKB, cpuTicks            []int64
	idleKB                      int64
	bytes                       int64
	detailRows, feedbackRows    int
	baselineBytes               int64
}

func (exportBenchResult) median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func runExportBench(tb testing.TB, n, rounds int) exportBenchResult {
	tb.Helper()
	dir := tb.TempDir()
	genStart := time.Now()
	cfgPath, cid := writeExportBenchData(tb, dir, n)
	tb.Logf("generated %d comments in %v", n, time.Since(genStart).Round(time.Millisecond))

	// The ceiling's rows, from the same database, with the export's own row code.
	detailRows, feedbackRows, job := exportBenchRows(tb, cfgPath, cid)
	tb.Logf("ceiling rows: %d detail, %d feedback", len(detailRows), len(feedbackRows))

	bin := filepath.Join(dir, "consult")
	build := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("build: %v\n%s", err, out)
	}
	addr := freeAddr(tb)
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		tb.Fatal(err)
	}
	raw = bytes.Replace(raw, []byte(`addr = "127.0.0.1:0"`), []byte(`addr = "`+addr+`"`), 1)
	if err := os.WriteFile(cfgPath, raw, 0o600); err != nil {
		tb.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		tb.Fatal(err)
	}
	defer logf.Close()
	child := exec.Command(bin, "-config", cfgPath)
	child.Stdout, child.Stderr = logf, logf
	if err := child.Start(); err != nil {
		tb.Fatal(err)
	}
	defer func() {
		_ = child.Process.Signal(os.Interrupt)
		_ = child.Wait()
	}()
	base := "http://" + addr
	waitHealthy(tb, base)
	client := exportBenchLogin(tb, base)
	pid := child.Process.Pid

	var res exportBenchResult
	res.detailRows, res.feedbackRows = len(detailRows), len(feedbackRows)
	res.idleKB = procStatusKB(tb, pid, "VmRSS")
	out := filepath.Join(dir, "export.xlsx")
	for round := 0; round < rounds; round++ {
		// export through the real server
		_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
		cpu0 := procCPUTicks(tb, pid)
		start := time.Now()
		size := exportBenchDownload(tb, client, base+"/admin/c/"+seedSlug+"/export.xlsx", out)
		res.export = append(res.export, time.Since(start).Seconds())
		res.cpuTicks = append(res.cpuTicks, procCPUTicks(tb, pid)-cpu0)
		res.peakKB = append(res.peakKB, procStatusKB(tb, pid, "VmHWM"))
		res.bytes = size
		checkExportBenchFile(tb, out, len(detailRows)+1, len(feedbackRows)+1)

		// excelize alone, same rows, standard save path
		runtime.GC()
		start, cpu := time.Now(), selfCPU()
		saveWithExcelize(tb, job, detailRows, nil, filepath.Join(dir, "detail.xlsx"))
		res.detailOnly = append(res.detailOnly, time.Since(start).Seconds())
		detailCPU := selfCPU() - cpu
		runtime.GC()
		start, cpu = time.Now(), selfCPU()
		res.baselineBytes = saveWithExcelize(tb, job, detailRows, feedbackRows, filepath.Join(dir, "all.xlsx"))
		res.allRows = append(res.allRows, time.Since(start).Seconds())
		allCPU := selfCPU() - cpu
		load, _ := os.ReadFile("/proc/loadavg")
		tb.Logf("round %d: export %.2fs (server CPU %.2fs, peak %.1f MB, %.1f MB file); excelize alone: detail %.2fs (CPU %.2fs), all rows %.2fs (CPU %.2fs, %.1f MB file); load %s",
			round+1, res.export[round], float64(res.cpuTicks[round])/100, float64(res.peakKB[round])/1024, float64(size)/(1<<20),
			res.detailOnly[round], detailCPU.Seconds(), res.allRows[round], allCPU.Seconds(), float64(res.baselineBytes)/(1<<20),
			strings.Join(strings.Fields(string(load))[:3], " "))
	}
	tb.Logf("server idle RSS %.1f MB", float64(res.idleKB)/1024)
	return res
}

// exportBenchGen makes comments that read like a consultation's.
type exportBenchGen struct {
	r         *rand.Rand
	sentences []string
	campaigns []string
	anchors   []string
	secIDs    map[string]int64
}

func newExportBenchGen(draft string, secs []store.Section) *exportBenchGen {
	g := &exportBenchGen{r: rand.New(rand.NewPCG(2022, 1221)), secIDs: map[string]int64{}}
	for _, para := range strings.Split(draft, "\n") {
		for _, s := range strings.SplitAfter(para, "。") {
			if s = strings.TrimSpace(s); len([]rune(s)) >= 8 {
				g.sentences = append(g.sentences, s)
			}
		}
	}
	g.anchors = []string{"general"}
	for _, s := range secs {
		g.anchors = append(g.anchors, s.Anchor)
		g.secIDs[s.Anchor] = s.ID
	}
	for i, n := range []int{240, 420, 610, 880} {
		g.campaigns = append(g.campaigns, fmt.Sprintf("联名意见%d:", i+1)+g.text(n))
	}
	return g
}

// length draws a comment length: log-normal with median 150 and mean about 300.
func (g *exportBenchGen) length() int {
	l := int(math.Exp(math.Log(150) + 1.18*g.r.NormFloat64()))
	return min(max(l, 6), 10000)
}

// text is n characters of the draft's sentences, in paragraphs.
func (g *exportBenchGen) text(n int) string {
	var b strings.Builder
	runes := 0
	for runes < n {
		s := g.sentences[g.r.IntN(len(g.sentences))]
		if runes > 0 && g.r.IntN(5) == 0 {
			b.WriteString("\n")
			runes++
		}
		b.WriteString(s)
		runes += len([]rune(s))
	}
	return string([]rune(b.String())[:n])
}

func (g *exportBenchGen) pick(weights map[string]int) string {
	total := 0
	keys := make([]string, 0, len(weights))
	for k, w := range weights {
		total += w
		keys = append(keys, k)
	}
	slices.Sort(keys)
	x := g.r.IntN(total)
	for _, k := range keys {
		if x -= weights[k]; x < 0 {
			return k
		}
	}
	return keys[0]
}

var (
	benchSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	benchGiven    = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚")
)

// writeExportBenchData creates the seed consultation, n comments and an admin account
// in dir, and returns the config path and the consultation id.
func writeExportBenchData(tb testing.TB, dir string, n int) (string, int64) {
	tb.Helper()
	cfg := writeTestConfig(tb, dir, testConfig+commentBenchConfig)
	cfgPath := filepath.Join(dir, "config.toml")
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Database.Path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := syncConsultations(ctx, st, cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		tb.Fatal(err)
	}
	c, err := st.ConsultationBySlug(ctx, seedSlug)
	if err != nil {
		tb.Fatal(err)
	}
	secs, err := st.Sections(ctx, c.ID)
	if err != nil {
		tb.Fatal(err)
	}
	h, err := hashPassword(testPassword)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := st.CreateUser(ctx, store.Actor{Username: "bench"}, "bench", h, store.RoleAdmin); err != nil {
		tb.Fatal(err)
	}
	if err := st.Close(); err != nil {
		tb.Fatal(err)
	}

	dsn := "file:" + cfg.Database.Path + "?_journal_mode=WAL&_synchronous=OFF&_foreign_keys=on"
	// The rows go in with one transaction on a connection of our own: the store's
	// intake path is measured elsewhere.
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	stmt, err := tx.Prepare(`INSERT INTO comments (id, consultation_id, section_id, section_anchor, tracking, body,
		name, identity, organization, phone, email, publish_name, consented_at, channel, late, status, created_at,
		response, note, tags, decided_by, decided_at, received_at, recorded_by, group_id, norm_hash)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := os.ReadFile(seedDraft)
	if err != nil {
		tb.Fatal(err)
	}
	g := newExportBenchGen(string(raw), secs)
	campaignGroup := make([]int64, len(g.campaigns))
	campaignAnchor := []string{"article-17", "article-11", "general", "article-3"}
	groupSize := map[int64]int{}
	start := c.OpensAt.Unix()
	span := c.ClosesAt.Unix() - start
	for i := 1; i <= n; i++ {
		id := int64(i)
		anchor := g.anchors[min(int(math.Abs(g.r.NormFloat64())*8), len(g.anchors)-1)]
		body := ""
		group := id
		if g.r.IntN(5) == 0 { // a campaign copy
			k := g.r.IntN(len(g.campaigns))
			body, anchor = g.campaigns[k], campaignAnchor[k]
			if campaignGroup[k] == 0 {
				campaignGroup[k] = id
			}
			group = campaignGroup[k]
		} else {
			body = g.text(g.length())
		}
		groupSize[group]++
		var section any
		if sid, ok := g.secIDs[anchor]; ok {
			section = sid
		}
		identity := g.pick(map[string]int{"个人": 80, "企业": 10, "社会组织": 4, "政府部门": 3, "其他": 3})
		org := ""
		if identity != "个人" || g.r.IntN(3) == 0 {
			org = string(benchSurnames[g.r.IntN(len(benchSurnames))]) + "氏" + []string{"科技有限公司", "商贸有限公司", "行业协会", "街道办事处"}[g.r.IntN(4)]
		}
		name := string(benchSurnames[g.r.IntN(len(benchSurnames))]) + string(benchGiven[g.r.IntN(len(benchGiven))])
		channel := g.pick(map[string]int{"web": 90, "letter": 4, "email": 4, "phone": 2})
		status := g.pick(map[string]int{store.StatusPending: 40, store.StatusAdopted: 15, store.StatusPartial: 10,
			store.StatusRejected: 15, store.StatusExplained: 10, store.StatusDuplicate: 5, store.StatusInvalid: 5})
		created := start + int64(i)*span/int64(n+1)
		var response, tags, decidedBy string
		var decidedAt, receivedAt int64
		if status != store.StatusPending {
			response = g.text(20 + g.r.IntN(120))
			decidedBy, decidedAt = "officer"+strconv.Itoa(g.r.IntN(4)+1), created+86400
			if g.r.IntN(4) == 0 {
				tags = []string{"财政", "人员编制", "营商环境", "招商"}[g.r.IntN(4)]
			}
		}
		recordedBy := ""
		if channel != "web" {
			receivedAt, recordedBy = created-created%86400, "officer1"
		}
		phone := "1" + strconv.Itoa(30+g.r.IntN(60)) + fmt.Sprintf("%08d", g.r.IntN(100000000))
		email := "user" + strconv.Itoa(i) + "@example.com"
		if _, err := stmt.Exec(id, c.ID, section, anchor, store.NewTrackingNumber(), body, name, identity, org, phone, email,
			g.r.IntN(3) == 0, created, channel, false, status, created, response, "", tags, decidedBy, decidedAt,
			receivedAt, recordedBy, group, strconv.FormatInt(group, 10)); err != nil {
			tb.Fatal(err)
		}
	}
	for id, size := range groupSize {
		if _, err := tx.Exec(`INSERT INTO dup_groups (id, consultation_id, size) VALUES (?, ?, ?)`, id, c.ID, size); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		tb.Fatal(err)
	}
	return cfgPath, c.ID
}

// exportBenchRows builds every row the workbook has, in memory, for the ceiling.
func exportBenchRows(tb testing.TB, cfgPath string, cid int64) (detail, feedback [][]any, job exportJob) {
	tb.Helper()
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Database.Path)
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	a, err := newApp(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	d, err := a.loadDraft(ctx, seedSlug)
	if err != nil {
		tb.Fatal(err)
	}
	job = exportJob{D: d, Filter: store.QueueFilter{ConsultationID: cid},
		User: store.User{Username: "bench", Role: store.RoleAdmin}, Unmasked: true, Now: time.Now()}
	b := &builder{job: job}
	b.sections, b.byAnchor = exportSections(d)
	x, err := st.BeginExport(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer x.Close()
	sizes, err := x.GroupSizes(ctx, cid)
	if err != nil {
		tb.Fatal(err)
	}
	err = x.EachComment(ctx, job.Filter, func(c *store.Comment) error {
		row := make([]any, len(detailHeader))
		b.detailRow(row, len(detail)+1, c, sizes[c.GroupID])
		detail = append(detail, row)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	f := job.Filter
	f.Sort = "old"
	tallies, err := x.GroupTallies(ctx, f)
	if err != nil {
		tb.Fatal(err)
	}
	for _, sec := range b.sections {
		f.Section = sec.Anchor
		err := x.EachComment(ctx, f, func(c *store.Comment) error {
			g := tallies[store.GroupKey{Anchor: c.SectionAnchor, GroupID: c.GroupID}]
			if g != nil && c.ID != g.First {
				return nil
			}
			row := make([]any, len(feedbackHeader))
			b.feedbackRow(row, len(feedback)+1, sec, c, g)
			feedback = append(feedback, row)
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return detail, feedback, job
}

// saveWithExcelize streams the rows with excelize and saves the file its standard
// way; feedback nil leaves that sheet empty. It returns the file's size.
func saveWithExcelize(tb testing.TB, job exportJob, detail, feedback [][]any, path string) int64 {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	b := &builder{job: job, f: f, details: []string{sheetDetail}}
	if err := b.setup(); err != nil {
		tb.Fatal(err)
	}
	for _, s := range []struct {
		l    sheetLayout
		rows [][]any
	}{{detailLayout, detail}, {feedbackLayout, feedback}} {
		if s.rows == nil {
			continue
		}
		sw, err := f.NewStreamWriter(s.l.Name)
		if err != nil {
			tb.Fatal(err)
		}
		if err := b.startSheet(sw, s.l); err != nil {
			tb.Fatal(err)
		}
		for i, row := range s.rows {
			if err := sw.SetRow("A"+strconv.Itoa(i+2), row); err != nil {
				tb.Fatal(err)
			}
		}
		if err := b.finishSheet(sw, s.l, len(s.rows)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		tb.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Size()
}

func exportBenchDownload(tb testing.TB, client *http.Client, u, path string) int64 {
	tb.Helper()
	resp, err := client.Get(u)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
		tb.Fatalf("export: status %d: %s", resp.StatusCode, body)
	}
	out, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	n, err := io.Copy(out, resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
	return n
}

// checkExportBenchFile reads the whole archive back (every CRC is checked) and counts
// the rows of the two long sheets without building them.
func checkExportBenchFile(tb testing.TB, path string, detailRows, feedbackRows int) {
	tb.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer zr.Close()
	want := map[string]int{"xl/worksheets/sheet2.xml": detailRows, "xl/worksheets/sheet3.xml": feedbackRows}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			tb.Fatal(err)
		}
		rows, err := countRows(rc)
		rc.Close()
		if err != nil {
			tb.Fatalf("%s: %v", zf.Name, err)
		}
		if w, ok := want[zf.Name]; ok && rows != w {
			tb.Errorf("%s: %d rows, want %d", zf.Name, rows, w)
		}
		delete(want, zf.Name)
	}
	if len(want) > 0 {
		tb.Errorf("missing sheets %v", want)
	}
}

func countRows(r io.Reader) (int, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	pat := []byte("<row ")
	n, carry := 0, []byte(nil)
	buf := make([]byte, 1<<16)
	for {
		k, err := br.Read(buf)
		chunk := append(carry, buf[:k]...)
		n += bytes.Count(chunk, pat)
		if len(chunk) >= len(pat)-1 {
			carry = append([]byte(nil), chunk[len(chunk)-(len(pat)-1):]...)
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitHealthy(tb testing.TB, base string) {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.Fatal("server did not start")
}

func exportBenchLogin(tb testing.TB, base string) *http.Client {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	client := &http.Client{Jar: jar, Timeout: 10 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(base + "/admin/login")
	if err != nil {
		tb.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRE.FindSubmatch(page)
	if m == nil {
		tb.Fatal("no CSRF token on the login page")
	}
	form := url.Values{"_csrf": {string(m[1])}, "username": {"bench"}, "password": {testPassword}}
	resp, err = client.PostForm(base+"/admin/login", form)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		tb.Fatalf("login: status %d", resp.StatusCode)
	}
	return client
}

// procStatusKB reads a "VmXXX: N kB" line of /proc/<pid>/status.
func procStatusKB(tb testing.TB, pid int, key string) int64 {
	tb.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return n
		}
	}
	tb.Fatalf("no %s in /proc/%d/status", key, pid)
	return 0
}

// selfCPU is this process's user and system time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPUTicks is the user and system time of a process, in clock ticks (1/100 s).
func procCPUTicks(tb testing.TB, pid int) int64 {
	tb.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return utime + stime
}
