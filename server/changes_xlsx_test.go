package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"consult/store"
)

// getXLSX fetches a workbook as client and opens it (nil when the status is not 200).
func (e *testEnv) getXLSX(client *http.Client, path string) (*http.Response, *excelize.File) {
	e.t.Helper()
	resp, err := client.Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp, nil
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		e.t.Fatalf("%s does not open: %v", path, err)
	}
	e.t.Cleanup(func() { f.Close() })
	return resp, f
}

// TestChangesWorkbook is the committee's 修改前后对照表 for the acceptance scenario, in
// changes.xlsx and in the full export, with an adopted first-round comment shown
// against the article it led to change, on the workbook and the public page.
func TestChangesWorkbook(t *testing.T) {
	e := newOpenEnv(t, "")
	ctx := context.Background()
	cs := seedConsultation(t, e)
	secs, _ := e.store.Sections(ctx, cs.ID)
	ids := map[string]int64{}
	for _, s := range secs {
		ids[s.Anchor] = s.ID
	}
	var adopted int64
	for i, a := range []string{"article-8", "article-8", "article-17"} {
		c, _, err := e.store.CreateComment(ctx, &store.Comment{ConsultationID: cs.ID, SectionID: ids[a], SectionAnchor: a,
			Body: "建议扩大主导产业范围,增加新能源产业。" + strings.Repeat("!", i), ConsentedAt: inWindow})
		if err != nil {
			t.Fatal(err)
		}
		adopted = c.ID
	}
	committee := e.loginAs("weiyuan", store.RoleCommittee)
	if resp, _ := e.getXLSX(committee, "/admin/c/"+seedSlug+"/changes.xlsx"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("before any revision: %d, want 404", resp.StatusCode)
	}
	if _, err := e.store.Decide(ctx, store.Actor{Username: "officer"}, cs.ID, adopted, store.Decision{Status: store.StatusAdopted, Response: "已增加新能源产业。"}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.PublishFeedback(ctx, store.Actor{Username: "officer"}, cs.ID, inWindow); err != nil {
		t.Fatal(err)
	}
	if _, err := e.revise(); err != nil {
		t.Fatal(err)
	}

	// Anonymous visitors get no workbook.
	if resp, _ := e.getXLSX(newClient(t), "/admin/c/"+seedSlug+"/changes.xlsx"); resp.StatusCode == http.StatusOK {
		t.Fatal("changes.xlsx served without a session")
	}
	resp, f := e.getXLSX(committee, "/admin/c/"+seedSlug+"/changes.xlsx")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != xlsxType {
		t.Fatalf("changes.xlsx: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(resp.Header.Get("Content-Disposition"), "changes-1-2") {
		t.Errorf("file name: %s", resp.Header.Get("Content-Disposition"))
	}
	checkChangesSheet(t, f)

	// The same sheet is in the full committee export.
	_, _, full := e.download(committee, "")
	checkChangesSheet(t, full)

	// The public page shows the adopted comment against article 17.
	status, page := e.get("/c/" + seedSlug + "/changes")
	if !strings.Contains(page, `data-new="article-17"`) {
		t.Fatalf("changes page: %d %s", status, shorten(page, 300))
	}
	row := page[strings.Index(page, `data-new="article-17"`):]
	row = row[:strings.Index(row, "</tr>")]
	if !strings.Contains(row, "采纳的意见 1 项") || !strings.Contains(row, "已增加新能源产业。") || !strings.Contains(row, ">1 条</a>") {
		t.Errorf("article 17 row lacks its adopted comment: %s", row)
	}
	// Audited.
	es, err := e.store.ListAudit(ctx, store.AuditFilter{Action: "export", ConsultationID: cs.ID})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, en := range es {
		found = found || strings.Contains(en.AfterJSON, "changes.xlsx")
	}
	if !found {
		t.Error("changes.xlsx download not in the audit log")
	}
}

// checkChangesSheet checks 修改对照表 for the acceptance scenario.
func checkChangesSheet(t *testing.T, f *excelize.File) {
	t.Helper()
	rows, err := f.GetRows(sheetChanges)
	if err != nil {
		t.Fatalf("no sheet %s: %v (sheets %v)", sheetChanges, err, f.GetSheetList())
	}
	head := strings.Join(rows[0], "|")
	for _, h := range []string{"原条文", "修改后条文", "修改类型", "意见数"} {
		if !strings.Contains(head, h) {
			t.Errorf("header %q lacks %s", head, h)
		}
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	get := func(r []string, h string) string {
		if col[h] < len(r) {
			return r[col[h]]
		}
		return ""
	}
	count := map[string]int{}
	prevNew := ""
	for i, r := range rows[1:] {
		typ := get(r, "修改类型")
		count[typ]++
		old, new := get(r, "原条文"), get(r, "修改后条文")
		switch typ {
		case "修改":
			if !strings.HasPrefix(old, "(十七)") || !strings.HasPrefix(new, "(十七)") || !strings.Contains(new, "1000亿") || !strings.Contains(old, "900亿") {
				t.Errorf("modified row %d: %q → %q", i+1, excerpt(old, 20), excerpt(new, 20))
			}
			if note := get(r, "修改内容"); !strings.Contains(note, "增加“、新能源”") {
				t.Errorf("modified row note %q", note)
			}
			if get(r, "意见数") != "1" || !strings.Contains(get(r, "采纳的意见"), "采纳:建议扩大主导产业范围") {
				t.Errorf("modified row comments %q adopted %q", get(r, "意见数"), get(r, "采纳的意见"))
			}
		case "删除":
			if !strings.HasPrefix(old, "(八)移交社会事务管理职能") || new != "" || get(r, "意见数") != "2" {
				t.Errorf("deleted row %d: %q / %q / %s", i+1, excerpt(old, 20), new, get(r, "意见数"))
			}
			if !strings.HasPrefix(prevNew, "(七)") {
				t.Errorf("deletion after %q, want after (七)", excerpt(prevNew, 10))
			}
		case "新增":
			if !strings.HasPrefix(new, "(十二)优化营商环境评价机制") || old != "" {
				t.Errorf("added row %d: %q", i+1, excerpt(new, 20))
			}
		case "未修改":
		default:
			t.Errorf("row %d: type %q", i+1, typ)
		}
		if new != "" {
			prevNew = new
		}
	}
	// 23 articles, 6 chapters and a preamble in the 第一稿; one deleted, one added.
	if count["修改"] != 1 || count["删除"] != 1 || count["新增"] != 1 || count["未修改"] != 21+6+1 {
		t.Errorf("row types %v", count)
	}
	// Article 9 (now 八) is 未修改 with its renumbering noted.
	found := false
	for _, r := range rows[1:] {
		if strings.HasPrefix(get(r, "原条文"), "(九)健全完善") {
			found = get(r, "修改类型") == "未修改" && strings.HasPrefix(get(r, "修改后条文"), "(八)健全完善") && strings.Contains(get(r, "修改内容"), "序号(九)改为(八)")
		}
	}
	if !found {
		t.Error("renumbered article 9 not 未修改 (九)→(八)")
	}
	// Deletions struck through and insertions underlined in the cells' rich text.
	runs, err := f.GetCellRichText(sheetChanges, cellOf(t, col["修改后条文"]+1, rowOf(rows, "修改")))
	if err != nil {
		t.Fatal(err)
	}
	underlined := ""
	for _, r := range runs {
		if r.Font != nil && r.Font.Underline != "" {
			underlined += r.Text
		}
	}
	if underlined != "、新能源310" {
		t.Errorf("underlined insertions %q", underlined)
	}
	// Printable: landscape A4, the header row repeated on every page.
	lo, err := f.GetPageLayout(sheetChanges)
	if err != nil || lo.Orientation == nil || *lo.Orientation != "landscape" {
		t.Errorf("page layout %+v %v", lo, err)
	}
	names := f.GetDefinedName()
	ok := false
	for _, n := range names {
		ok = ok || (n.Name == "_xlnm.Print_Titles" && n.Scope == sheetChanges && strings.Contains(n.RefersTo, "$1:$1"))
	}
	if !ok {
		t.Errorf("no repeated header row: %+v", names)
	}
}

func rowOf(rows [][]string, typ string) int {
	for i, r := range rows {
		if len(r) > 1 && r[1] == typ {
			return i + 1
		}
	}
	return 0
}

func cellOf(t *testing.T, col, row int) string {
	c, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestChangesWorkbookPrints prints changes.xlsx to PDF with LibreOffice (headless): the
// pages are landscape and every page repeats the header row. CI must have LibreOffice
// and poppler-utils.
func TestChangesWorkbookPrints(t *testing.T) {
	soffice, err1 := exec.LookPath("soffice")
	pdftotext, err2 := exec.LookPath("pdftotext")
	pdfinfo, err3 := exec.LookPath("pdfinfo")
	if err1 != nil || err2 != nil || err3 != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("soffice, pdftotext or pdfinfo not found: install libreoffice-calc-nogui and poppler-utils")
		}
		t.Skip("soffice, pdftotext or pdfinfo not found; required in CI")
	}
	e := newOpenEnv(t, "")
	if _, err := e.revise(); err != nil {
		t.Fatal(err)
	}
	committee := e.loginAs("weiyuan", store.RoleCommittee)
	resp, err := committee.Get(e.srv.URL + "/admin/c/" + seedSlug + "/changes.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("changes.xlsx: %d %v", resp.StatusCode, err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "changes.xlsx")
	if err := os.WriteFile(in, body, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless", "--norestore",
		"--convert-to", "pdf", "--outdir", dir, in).CombinedOutput()
	if err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	pdf := filepath.Join(dir, "changes.pdf")
	info, err := exec.CommandContext(ctx, pdfinfo, pdf).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	m := regexp.MustCompile(`Pages:\s+(\d+)`).FindSubmatch(info)
	size := regexp.MustCompile(`Page size:\s+([\d.]+) x ([\d.]+) pts`).FindSubmatch(info)
	if m == nil || size == nil {
		t.Fatalf("pdfinfo: %s", info)
	}
	pages, _ := strconv.Atoi(string(m[1]))
	w, _ := strconv.ParseFloat(string(size[1]), 64)
	h, _ := strconv.ParseFloat(string(size[2]), 64)
	if pages < 2 || w <= h || w < 830 || w > 850 { // A4 landscape is 842 × 595 pt
		t.Fatalf("%d pages of %.0f × %.0f pt, want several A4 landscape pages", pages, w, h)
	}
	text, err := exec.CommandContext(ctx, pdftotext, "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	perPage := strings.Split(string(text), "\f")
	for i, p := range perPage[:pages] {
		if !strings.Contains(p, "原条文") || !strings.Contains(p, "修改后条文") || !strings.Contains(p, "修改类型") {
			t.Errorf("page %d of %d lacks the header row", i+1, pages)
		}
	}
	// Rows are tall enough for their text: the end of each long article is printed too.
	flat := strings.Join(strings.Fields(string(text)), "")
	for _, s := range []string{"优化营商环境评价机制", "作为干部考核的重要依据", "打造1个主营业务收入100亿产业集群"} {
		if !strings.Contains(flat, s) {
			t.Errorf("the printout lacks %q", s)
		}
	}
}
