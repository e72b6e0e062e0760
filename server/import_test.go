package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"consult/store"
)

// runImport runs the import command as the CLI does and returns its output and error.
func (e *testEnv) runImport(args ...string) (string, string, error) {
	e.t.Helper()
	var out, errOut bytes.Buffer
	err := runCommandWith(context.Background(), e.app.cfg, e.store, append([]string{"import"}, args...), &out, &errOut)
	return out.String(), errOut.String(), err
}

func writeCSV(t *testing.T, path string, rows [][]string, bom bool) {
	t.Helper()
	var b bytes.Buffer
	if bom {
		b.WriteString("\xEF\xBB\xBF")
	}
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func importedComments(t *testing.T, e *testEnv) []store.QueueRow {
	t.Helper()
	rows, _, err := e.store.Queue(context.Background(), store.QueueFilter{ConsultationID: 1, Limit: 500, Sort: "old"})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func auditImports(t *testing.T, e *testEnv) []store.AuditEntry {
	t.Helper()
	es, err := e.store.ListAudit(context.Background(), store.AuditFilter{Action: "import"})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// TestImportCSV imports a UTF-8 file with a BOM and English keys: sections written as
// people write them, rejected rows listed by row number with a Chinese reason and a
// failing exit, duplicates grouped, text searchable, counts kept, one audit entry per
// run, and a second run adding nothing.
func TestImportCSV(t *testing.T) {
	e := newTestEnv(t, "")
	path := filepath.Join(e.dir, "letters.csv")
	campaign := "联名来信:建议经开区加大对新材料产业的扶持力度,设立专项资金。"
	writeCSV(t, path, [][]string{
		{"section", "body", "name", "identity", "organization", "phone", "email", "channel", "received_at"},
		{"第十七条", campaign, "张三", "个人", "", "13830463501", "", "letter", "2023-01-05"},
		{"(十七)", campaign, "李四", "", "", "13830463502", "", "信函", "2023/1/6"},
		{"十七", "枸杞深加工应当纳入第十七条。", "王五", "企业", "宁夏枸杞公司", "", "wang@example.com", "email", "2023-01-07 09:30"},
		{"全文", "总体赞成。", "赵六", "个人", "", "0951-1234567", "", "phone", "2023-02-09"},
		{"article-3", "第三条写得好。", "钱七", "个人", "", "13830463503", "", "", ""},
		{"第九十九条", "没有这一条。", "孙八", "个人", "", "13830463504", "", "letter", "2023-01-05"},
		{"general", "", "周九", "个人", "", "13830463505", "", "letter", "2023-01-05"},
		{"general", "电话号码错了。", "吴十", "个人", "", "12345", "", "letter", "2023-01-05"},
		{"general", "日期错了。", "郑一", "个人", "", "13830463506", "", "letter", "明天"},
		{"general", "公司没写单位。", "冯二", "企业", "", "13830463507", "", "letter", "2023-01-05"},
	}, true)
	out, stderr, err := e.runImport("-consultation", seedSlug, path)
	if err == nil || !strings.Contains(err.Error(), "5 of 10 rows rejected") {
		t.Fatalf("exit: %v\n%s", err, out)
	}
	for _, want := range []string{"第 7 行未导入:无法识别意见针对的条款“第九十九条”", "第 8 行未导入:请填写意见内容", "第 9 行未导入:联系电话格式不正确",
		"第 10 行未导入:收到时间格式不正确", "第 11 行未导入:请填写单位名称", "imported 5 of 10 rows", "(csv, UTF-8)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, "import: done") {
		t.Errorf("no progress on stderr: %q", stderr)
	}
	rows := importedComments(t, e)
	if len(rows) != 5 {
		t.Fatalf("%d comments stored, want 5", len(rows))
	}
	bySection := map[string]int{}
	for _, r := range rows {
		bySection[r.SectionAnchor]++
		if r.Body == campaign && r.GroupSize != 2 {
			t.Errorf("campaign copy in a group of %d, want 2", r.GroupSize)
		}
		if r.Name == "赵六" && (!r.Late || r.Channel != "phone" || r.ReceivedAt.IsZero()) {
			t.Errorf("call received after the closing day: late=%v channel=%s", r.Late, r.Channel)
		}
		if r.Name == "钱七" && r.Channel != "letter" {
			t.Errorf("blank channel: %q, want letter", r.Channel)
		}
		if r.Name == "李四" && r.Identity != "个人" {
			t.Errorf("blank identity: %q", r.Identity)
		}
	}
	if bySection["article-17"] != 3 || bySection["general"] != 1 || bySection["article-3"] != 1 {
		t.Errorf("sections %v", bySection)
	}
	counts, _ := e.store.CommentCounts(context.Background(), 1)
	if counts["article-17"] != 3 {
		t.Errorf("counts %v", counts)
	}
	found, _, err := e.store.Queue(context.Background(), store.QueueFilter{ConsultationID: 1, Q: "枸杞深加工", Limit: 10})
	if err != nil || len(found) != 1 {
		t.Errorf("search finds %d imported comments (%v), want 1", len(found), err)
	}
	if n := len(auditImports(t, e)); n != 1 {
		t.Errorf("%d audit entries, want 1", n)
	}

	// Again: nothing new (the rejected rows are still rejected).
	out, _, err = e.runImport("-consultation", seedSlug, path)
	if err == nil || !strings.Contains(out, "imported 0 of 10 rows") || !strings.Contains(out, "5 already imported") {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	if n := len(importedComments(t, e)); n != 5 {
		t.Fatalf("%d comments after a second run, want 5", n)
	}
	if n := len(auditImports(t, e)); n != 2 {
		t.Errorf("%d audit entries after two runs, want 2", n)
	}

	// Only the good rows: exit status 0. A dry run writes nothing.
	good := filepath.Join(e.dir, "good.csv")
	writeCSV(t, good, [][]string{
		{"section", "body", "name", "phone"},
		{"第二十三条", "第二十三条的意见。", "陈一", "13830463508"},
	}, false)
	out, _, err = e.runImport("-consultation", seedSlug, "-dry-run", good)
	if err != nil || !strings.Contains(out, "dry run: would import 1 of 1 rows") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if n := len(importedComments(t, e)); n != 5 {
		t.Fatalf("dry run stored comments: %d", n)
	}
	if out, _, err = e.runImport("-consultation", seedSlug, good); err != nil {
		t.Fatalf("all rows good but: %v\n%s", err, out)
	}
	if _, _, err := e.runImport("-consultation", "nonesuch", good); err == nil || !strings.Contains(err.Error(), "no consultation") {
		t.Errorf("unknown consultation: %v", err)
	}
}

// TestImportGB18030AndXLSX reads what Excel on a Chinese Windows saves (GB18030 CSV)
// with the export's Chinese headers, and an .xlsx workbook.
func TestImportGB18030AndXLSX(t *testing.T) {
	e := newTestEnv(t, "")
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.WriteAll([][]string{
		{"序号", "条款", "意见内容", "提交人", "身份", "单位", "联系电话", "电子邮箱", "渠道", "提交时间", "处理状态"},
		{"1", "(十五)", "招商引资要重质量。", "刘一", "个人", "", "13830463509", "", "信函", "2023-01-08 10:00", "已采纳"},
		{"2", "前言", "前言太长。", "刘二", "社会组织", "银川市某协会", "", "liu@example.com", "电子邮件", "2023-01-09", ""},
	})
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.dir, "excel.csv")
	if err := os.WriteFile(path, gb, 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := e.runImport("-consultation", seedSlug, path)
	if err != nil || !strings.Contains(out, "imported 2 of 2 rows") || !strings.Contains(out, "GB18030") {
		t.Fatalf("GB18030: %v\n%s", err, out)
	}
	rows := importedComments(t, e)
	if len(rows) != 2 || rows[0].Body != "招商引资要重质量。" || rows[0].Status != store.StatusAdopted || rows[0].SectionAnchor != "article-15" ||
		rows[1].SectionAnchor != "preamble" || rows[1].Organization != "银川市某协会" || rows[1].Channel != "email" {
		t.Fatalf("GB18030 rows: %+v", rows)
	}

	x := excelize.NewFile()
	defer x.Close()
	sheet := x.GetSheetName(0)
	for i, r := range [][]any{
		{"section", "body", "name", "phone", "received_at"},
		{"article-20", "第二十条的意见,来自另一个系统。", "马一", "13830463510", "2023-01-10 08:00:00"},
		{"20", "第二十条的第二条意见。", "马二", "13830463511", ""},
	} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow(sheet, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	xpath := filepath.Join(e.dir, "other.xlsx")
	if err := x.SaveAs(xpath); err != nil {
		t.Fatal(err)
	}
	if out, _, err := e.runImport("-consultation", seedSlug, xpath); err != nil || !strings.Contains(out, "imported 2 of 2 rows") {
		t.Fatalf("xlsx: %v\n%s", err, out)
	}
	if counts, _ := e.store.CommentCounts(context.Background(), 1); counts["article-20"] != 2 {
		t.Fatalf("counts after xlsx %v", counts)
	}
}

// TestImportOwnWorkbook imports this portal's own export: its comments are known by
// their tracking numbers and added nothing; into a fresh portal they are all added,
// with masked contact data left out.
func TestImportOwnWorkbook(t *testing.T) {
	e := newTestEnv(t, "")
	seedExport(e)
	_, body, _ := e.download(e.loginAs("committee1", store.RoleCommittee), "")
	path := filepath.Join(e.dir, "export.xlsx")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	before := len(importedComments(t, e))
	out, _, err := e.runImport("-consultation", seedSlug, path)
	if err != nil || !strings.Contains(out, "imported 0 of 8 rows") || !strings.Contains(out, "8 already imported") {
		t.Fatalf("own workbook: %v\n%s", err, out)
	}
	if n := len(importedComments(t, e)); n != before {
		t.Fatalf("own workbook added %d comments", n-before)
	}

	var numbers []string
	for _, r := range importedComments(t, e) {
		numbers = append(numbers, r.Tracking)
	}
	sort.Strings(numbers)

	// Into a fresh portal every comment is added with its tracking number, in small
	// transactions and in a bulk import (which has no tracking-number index to look
	// the numbers up in until it ends).
	defer func(n int) { bulkMinRows = n }(bulkMinRows)
	for _, bulk := range []bool{false, true} {
		if bulk {
			bulkMinRows = 1
		}
		fresh := newTestEnv(t, "")
		out, errOut, err := fresh.runImport("-consultation", seedSlug, path)
		if err != nil || !strings.Contains(out, "imported 8 of 8 rows") || strings.Contains(errOut, "bulk import of") != bulk {
			t.Fatalf("into a fresh portal (bulk %v): %v\n%s\n%s", bulk, err, out, errOut)
		}
		var got []string
		for _, r := range importedComments(t, fresh) {
			if strings.Contains(r.Phone+r.Email, "*") {
				t.Errorf("masked contact imported: %q %q", r.Phone, r.Email)
			}
			got = append(got, r.Tracking)
		}
		sort.Strings(got)
		if !slices.Equal(got, numbers) {
			t.Fatalf("tracking numbers after an import into a fresh portal (bulk %v):\n%v\nexported:\n%v", bulk, got, numbers)
		}
	}
}

// TestGenerateImports checks `generate`: deterministic per seed, the import format,
// and every row imports.
func TestGenerateImports(t *testing.T) {
	var a, b, c bytes.Buffer
	if err := generateCommand([]string{"-n", "300", "-seed", "7"}, &a); err != nil {
		t.Fatal(err)
	}
	generateCommand([]string{"-n", "300", "-seed", "7"}, &b)
	generateCommand([]string{"-n", "300", "-seed", "8"}, &c)
	if a.String() != b.String() || a.String() == c.String() {
		t.Fatal("generate is not determined by its seed")
	}
	recs, err := csv.NewReader(bytes.NewReader(a.Bytes())).ReadAll()
	if err != nil || len(recs) != 301 || strings.Join(recs[0], ",") != strings.Join(importColumns, ",") {
		t.Fatalf("generated CSV: %d records, header %v, %v", len(recs), recs[0], err)
	}
	e := newTestEnv(t, "")
	path := filepath.Join(e.dir, "gen.csv")
	if err := os.WriteFile(path, a.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, _, err := e.runImport("-consultation", seedSlug, path); err != nil || !strings.Contains(out, "imported 300 of 300 rows") {
		t.Fatalf("import of generated comments: %v\n%s", err, out)
	}
}

// importGrouping reads, from the database file at path, each comment's submission key
// with its duplicate group's first comment's key, and the index names of comments.
func importGrouping(t *testing.T, path string) (map[string]string, []string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT c.submission_key, g.submission_key FROM comments c JOIN comments g ON g.id = c.group_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	groups := map[string]string{}
	for rows.Next() {
		var k, g string
		if err := rows.Scan(&k, &g); err != nil {
			t.Fatal(err)
		}
		groups[k] = g
	}
	var names []string
	ix, err := db.Query(`SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'comments' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	for ix.Next() {
		var n string
		ix.Scan(&n)
		names = append(names, n)
	}
	return groups, names
}

// TestImportBulk: a large file is imported in bulk when the portal is not running,
// and with the indexes kept when it is (another process, here another store, has the
// database open); both give the same comments in the same duplicate groups.
func TestImportBulk(t *testing.T) {
	defer func(n int) { bulkMinRows = n }(bulkMinRows)
	bulkMinRows = 500
	var csvData bytes.Buffer
	if err := generateCommand([]string{"-n", "1200", "-seed", "5"}, &csvData); err != nil {
		t.Fatal(err)
	}
	run := func(portalRunning bool) (string, map[string]string, []string) {
		e := newTestEnv(t, "")
		path := filepath.Join(e.dir, "gen.csv")
		if err := os.WriteFile(path, csvData.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		if portalRunning {
			other, err := store.Open(context.Background(), e.app.cfg.Database.Path)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
		}
		out, errOut, err := e.runImport("-consultation", seedSlug, path)
		if err != nil || !strings.Contains(out, "imported 1200 of 1200 rows") {
			t.Fatalf("import: %v\n%s\n%s", err, out, errOut)
		}
		if len(auditImports(t, e)) != 1 {
			t.Fatal("want one audit entry")
		}
		if !portalRunning { // again: nothing is added
			out, _, err := e.runImport("-consultation", seedSlug, path)
			if err != nil || !strings.Contains(out, "imported 0 of 1200 rows") || !strings.Contains(out, "1200 already imported") {
				t.Fatalf("second import: %v\n%s", err, out)
			}
		}
		groups, indexes := importGrouping(t, e.app.cfg.Database.Path)
		return errOut, groups, indexes
	}
	bulkOut, bulkGroups, bulkIndexes := run(false)
	if !strings.Contains(bulkOut, "bulk import of about 1201 rows") || !strings.Contains(bulkOut, "building the comments' indexes again") {
		t.Fatalf("no bulk import: %s", bulkOut)
	}
	incOut, incGroups, incIndexes := run(true)
	if strings.Contains(incOut, "bulk import of") || !strings.Contains(incOut, "open in another process") {
		t.Fatalf("a bulk import while the database is open elsewhere: %s", incOut)
	}
	if !maps.Equal(bulkGroups, incGroups) {
		t.Fatal("the bulk import grouped the comments otherwise")
	}
	if !slices.Equal(bulkIndexes, incIndexes) {
		t.Fatalf("indexes after a bulk import %v, after an import %v", bulkIndexes, incIndexes)
	}
	joined := 0
	for k, g := range bulkGroups {
		if k != g {
			joined++
		}
	}
	if len(bulkGroups) != 1200 || joined < 100 {
		t.Fatalf("%d comments, %d in another's group", len(bulkGroups), joined)
	}
}
