package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"consult/store"
)

var (
	consultBinOnce sync.Once
	consultBinDir  string
	consultBinErr  error
)

// consultBinary builds the server binary once per test run (the demo and README
// tests share it); TestMain removes it.
func consultBinary(t *testing.T) string {
	t.Helper()
	consultBinOnce.Do(func() {
		if consultBinDir, consultBinErr = os.MkdirTemp("", "consult-bin-"); consultBinErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", filepath.Join(consultBinDir, "consult"), ".").CombinedOutput()
		if err != nil {
			consultBinErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if consultBinErr != nil {
		t.Fatal(consultBinErr)
	}
	return filepath.Join(consultBinDir, "consult")
}

// removeConsultBinary deletes the shared binary at the end of the run.
func removeConsultBinary() {
	if consultBinDir != "" {
		os.RemoveAll(consultBinDir)
	}
}

// demoRun is a running `consult demo` child process.
type demoRun struct {
	cmd      *exec.Cmd
	base     string
	folder   string
	accounts map[string]demoAccount // by role
	done     chan error
}

var accountLineRE = regexp.MustCompile(`^account (admin|officer|committee|department) (\S+) (\S+)$`)

// startDemo runs the real binary's demo command in an empty folder (no config file
// next to it) on a free port and reads what it prints.
func startDemo(t *testing.T) *demoRun {
	t.Helper()
	bin := consultBinary(t)
	addr := freeAddr(t)
	cwd := t.TempDir()
	cmd := exec.Command(bin, "demo", "-addr", addr)
	cmd.Dir = cwd
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &demoRun{cmd: cmd, base: "http://" + addr, accounts: map[string]demoAccount{}, done: make(chan error, 1)}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(90 * time.Second)
read:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("demo exited before it was ready: %v\n%s", cmd.Wait(), stderr.String())
			}
			if m := accountLineRE.FindStringSubmatch(line); m != nil {
				d.accounts[m[1]] = demoAccount{Role: m[1], Username: m[2], Password: m[3]}
			}
			if f, ok := strings.CutPrefix(line, "demo folder "); ok {
				d.folder = strings.TrimSuffix(f, " (removed on exit)")
			}
			if strings.HasPrefix(line, "open ") {
				break read
			}
		case <-timeout:
			_ = cmd.Process.Kill()
			t.Fatalf("demo not ready after 90 s\n%s", stderr.String())
		}
	}
	go func() {
		for range lines { // keep draining stdout
		}
	}()
	go func() { d.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-d.done
		}
	})
	waitHealthy(t, d.base)
	t.Logf("demo ready in %v", time.Since(start).Round(time.Millisecond))
	if entries, err := os.ReadDir(cwd); err != nil || len(entries) != 0 {
		t.Errorf("demo wrote into its working folder: %v %v", entries, err)
	}
	return d
}

func (d *demoRun) client(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func demoGet(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func demoPost(t *testing.T, c *http.Client, u string, f url.Values) *http.Response {
	t.Helper()
	resp, err := c.PostForm(u, f)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// login signs in as one of the printed accounts.
func (d *demoRun) login(t *testing.T, role string) *http.Client {
	t.Helper()
	acc, ok := d.accounts[role]
	if !ok {
		t.Fatalf("no %s account printed", role)
	}
	c := d.client(t)
	_, page := demoGet(t, c, d.base+"/admin/login")
	resp := demoPost(t, c, d.base+"/admin/login", url.Values{"_csrf": {csrfFrom(t, page)}, "username": {acc.Username}, "password": {acc.Password}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login as %s %s: status %d", role, acc.Username, resp.StatusCode)
	}
	return c
}

// db opens the demo's database read-only (to learn a captcha's answer, as a person
// reads it from the image).
func (d *demoRun) db(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(d.folder, "consult.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var hiddenInputRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)

// formFieldsByAction returns the hidden fields of the form whose action is action.
func formFieldsByAction(t *testing.T, page, action string) url.Values {
	t.Helper()
	i := strings.Index(page, `action="`+action+`"`)
	if i < 0 {
		t.Fatalf("no form posting to %s", action)
	}
	end := strings.Index(page[i:], "</form>")
	f := url.Values{}
	for _, m := range hiddenInputRE.FindAllStringSubmatch(page[i:i+end], -1) {
		f.Set(m[1], html.UnescapeString(m[2]))
	}
	return f
}

// TestDemoCommand runs `consult demo` as a newcomer would and walks every role's job:
// the public comments on article 17, the officer triages that comment with the
// printed password, the committee downloads the workbook, the admin sees the
// accounts; then SIGTERM removes the demo's folder.
func TestDemoCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	t.Parallel() // a child process: runs beside the other slow tests
	d := startDemo(t)
	for _, role := range []string{"admin", "officer", "committee", "department"} {
		if _, ok := d.accounts[role]; !ok {
			t.Fatalf("no line `account %s USERNAME PASSWORD` printed", role)
		}
	}
	if st, err := os.Stat(d.folder); err != nil || !st.IsDir() {
		t.Fatalf("demo folder %q: %v", d.folder, err)
	}
	pub := d.client(t)
	slug := demoOpenSlug

	// The public: the draft is open, with counts; the banner is on every page.
	for _, p := range []string{"/", "/c/" + slug, "/c/" + demoClosedSlug, "/c/" + demoClosedSlug + "/feedback", "/track"} {
		status, page := demoGet(t, pub, d.base+p)
		if status != http.StatusOK || !strings.Contains(page, `id="demo-banner"`) || !strings.Contains(page, "演示数据") {
			t.Errorf("GET %s: status %d, banner %v", p, status, strings.Contains(page, "演示数据"))
		}
	}
	_, page := demoGet(t, pub, d.base+"/c/"+slug)
	if !strings.Contains(page, "征集中") {
		t.Error("the seed consultation is not open in the demo")
	}
	_, page = demoGet(t, pub, d.base+"/c/"+demoClosedSlug+"/feedback")
	for _, want := range []string{"已采纳", "部分采纳", "不予采纳"} {
		if !strings.Contains(page, want) {
			t.Errorf("published report lacks %s", want)
		}
	}
	status, page := demoGet(t, pub, d.base+"/c/"+slug+"/comment?section=article-17")
	if status != http.StatusOK {
		t.Fatalf("comment form: %d", status)
	}
	f := url.Values{"_csrf": {csrfFrom(t, page)}, "section": {"article-17"},
		"body": {"演示:建议第十七条对新入园企业的用地优惠写明期限。"}, "name": {"王五"}, "identity": {"个人"},
		"phone": {"13900001111"}, "consent": {"1"}}
	if m := formKeyRETest.FindStringSubmatch(page); m != nil {
		f.Set("form_key", m[1])
	}
	m := captchaIDRETest.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the demo's comment form has no captcha")
	}
	// The answer is derived from the id and the database's captcha secret (store/captcha.go).
	st, err := store.Open(context.Background(), filepath.Join(d.folder, "consult.db"))
	if err != nil {
		t.Fatal(err)
	}
	digits, err := st.CaptchaDigits(m[1], time.Now())
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	f.Set("captcha_id", m[1])
	f.Set("captcha_solution", digits)
	resp := demoPost(t, pub, d.base+"/c/"+slug+"/comments", f)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment: status %d", resp.StatusCode)
	}
	_, receipt := demoGet(t, pub, d.base+resp.Header.Get("Location"))
	tm := trackingRETest.FindStringSubmatch(receipt)
	if tm == nil {
		t.Fatal("no tracking number on the receipt")
	}
	var id int64
	if err := d.db(t).QueryRow(`SELECT id FROM comments WHERE body LIKE '演示:建议第十七条%'`).Scan(&id); err != nil {
		t.Fatal(err)
	}

	// Open data: the same consultation's counts, new comment included, as curl gets them.
	status, body := demoGet(t, pub, d.base+"/api/v1/consultations/"+slug)
	var api APIConsultationDetail
	if err := json.Unmarshal([]byte(body), &api); err != nil || status != http.StatusOK {
		t.Fatalf("api: %d %v", status, err)
	}
	a17 := 0
	for _, s := range api.Sections {
		if s.Anchor == "article-17" {
			a17 = s.Comments
		}
	}
	if api.Comments != demoOpenComments+1 || api.Status != "open" || a17 < 2 {
		t.Errorf("api: %d comments (want %d), status %s, article 17 %d", api.Comments, demoOpenComments+1, api.Status, a17)
	}

	// The officer: the queue has the generated comments; triage the new one.
	off := d.login(t, "officer")
	status, page = demoGet(t, off, d.base+"/admin/c/"+slug+"/comments?section=article-17")
	if status != http.StatusOK || !strings.Contains(page, "第十七条") {
		t.Fatalf("officer queue: status %d", status)
	}
	commentURL := fmt.Sprintf("/admin/c/%s/comments/%d", slug, id)
	_, page = demoGet(t, off, d.base+commentURL)
	df := formFieldsByAction(t, page, commentURL)
	df.Set("status", "adopted")
	df.Set("response", "已采纳,将在第十七条中写明优惠期限。")
	df.Set("stay", "1")
	if resp := demoPost(t, off, d.base+commentURL, df); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("decide: status %d", resp.StatusCode)
	}
	var got string
	if err := d.db(t).QueryRow(`SELECT status FROM comments WHERE id = ?`, id).Scan(&got); err != nil || got != "adopted" {
		t.Fatalf("decision not saved: %q %v", got, err)
	}

	// The committee: the workbook downloads and opens, with every comment in it.
	com := d.login(t, "committee")
	resp, err = com.Get(d.base + "/admin/c/" + slug + "/export.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenReader(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("workbook: status %d, %v", resp.StatusCode, err)
	}
	rows, err := wb.GetRows(sheetDetail)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < demoOpenComments {
		t.Errorf("workbook has %d detail rows, want over %d", len(rows), demoOpenComments)
	}
	found := false
	for _, r := range rows {
		for _, cell := range r {
			if strings.Contains(cell, "用地优惠写明期限") {
				found = true
			}
		}
	}
	if !found {
		t.Error("the new comment is not in the workbook")
	}

	// The admin: accounts.
	adm := d.login(t, "admin")
	status, page = demoGet(t, adm, d.base+"/admin/users")
	if status != http.StatusOK {
		t.Fatalf("admin users: %d", status)
	}
	for _, acc := range d.accounts {
		if !strings.Contains(page, acc.Username) {
			t.Errorf("accounts page lacks %s", acc.Username)
		}
	}
	status, page = demoGet(t, adm, d.base+"/admin/c/"+slug+"/dashboard")
	if status != http.StatusOK || !strings.Contains(page, "演示数据") {
		t.Errorf("dashboard: status %d, banner %v", status, strings.Contains(page, "演示数据"))
	}

	// Routing (交办): the officer's dashboard lists each unit's backlog, one of them
	// overdue; the department sees only what was routed to it, a few with its proposed
	// answers waiting for the officer's review.
	offc := d.login(t, "officer")
	status, page = demoGet(t, offc, d.base+"/admin/c/"+slug+"/dashboard")
	for _, unit := range []string{demoUnit, "财政局", "自然资源局"} {
		if status != http.StatusOK || !strings.Contains(page, `id="backlog-`+unit+`"`) {
			t.Errorf("dashboard (status %d) has no backlog row for %s", status, unit)
		}
	}
	var routed, overdue, proposed int
	if err := d.db(t).QueryRow(`SELECT COUNT(*), COALESCE(SUM(due_at < unixepoch()), 0), COALESCE(SUM(proposed_status != ''), 0)
		FROM routings WHERE unit = ?`, demoUnit).Scan(&routed, &overdue, &proposed); err != nil {
		t.Fatal(err)
	}
	if routed < 12 || overdue != 0 || proposed == 0 {
		t.Errorf("%s: %d routed, %d overdue, %d proposed; want some routed, none overdue, some proposed", demoUnit, routed, overdue, proposed)
	}
	if err := d.db(t).QueryRow(`SELECT COUNT(*) FROM routings WHERE unit = '财政局' AND due_at < unixepoch()`).Scan(&overdue); err != nil || overdue == 0 {
		t.Errorf("no overdue routing to 财政局 (%v)", err)
	}
	dept := d.login(t, "department")
	status, page = demoGet(t, dept, d.base+"/admin/c/"+slug+"/comments?collapse=0")
	if status != http.StatusOK {
		t.Fatalf("department queue: %d", status)
	}
	linked := map[string]bool{}
	for _, m := range regexp.MustCompile(`href="/admin/c/`+slug+`/comments/(\d+)`).FindAllStringSubmatch(page, -1) {
		linked[m[1]] = true
	}
	if len(linked) != routed {
		t.Errorf("department queue links %d comments; %d are routed to it", len(linked), routed)
	}
	var other int64
	if err := d.db(t).QueryRow(`SELECT comment_id FROM routings WHERE unit = '财政局' LIMIT 1`).Scan(&other); err != nil {
		t.Fatal(err)
	}
	if status, _ := demoGet(t, dept, fmt.Sprintf("%s/admin/c/%s/comments/%d", d.base, slug, other)); status != http.StatusNotFound {
		t.Errorf("department opened another unit's comment: %d", status)
	}

	// SIGTERM: the server stops and its folder is gone.
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.done:
		if err != nil {
			t.Errorf("demo exit: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not stop on SIGTERM")
	}
	if _, err := os.Stat(d.folder); !os.IsNotExist(err) {
		t.Errorf("demo folder %s still there after exit: %v", d.folder, err)
	}
}
