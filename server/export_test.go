package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	exportsheet "consult/server/export_sheet"
	"consult/store"
)

const exportPath = "/admin/c/" + seedSlug + "/export.xlsx"

// exportSeed is a small consultation's worth of comments with every kind of row:
// on the draft as a whole, the preamble, a chapter and articles, a campaign group of
// three, an organisation, a late letter, decided ones.
type exportSeed struct {
	cid int64
	ids map[string]int64
}

var exportBase = time.Date(2023, 1, 5, 9, 30, 0, 0, beijing)

func (e *testEnv) addComment(cm store.Comment) *store.Comment {
	e.t.Helper()
	ctx := context.Background()
	d, err := e.app.loadDraft(ctx, seedSlug)
	if err != nil {
		e.t.Fatal(err)
	}
	cm.ConsultationID = d.C.ID
	if s := d.Section(cm.SectionAnchor); s != nil {
		cm.SectionID = s.ID
	}
	if cm.ConsentedAt.IsZero() {
		cm.ConsentedAt = cm.CreatedAt
	}
	saved, _, err := e.store.CreateComment(ctx, &cm)
	if err != nil {
		e.t.Fatal(err)
	}
	return saved
}

func (e *testEnv) decide(id int64, dec store.Decision) {
	e.t.Helper()
	c, err := e.store.ConsultationBySlug(context.Background(), seedSlug)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.store.Decide(context.Background(), store.Actor{Username: "off"}, c.ID, id, dec, false); err != nil {
		e.t.Fatal(err)
	}
}

const campaignText = "联名意见:坚持简政放权,建议将审批权限全部下放园区。"

func seedExport(e *testEnv) exportSeed {
	e.t.Helper()
	s := exportSeed{ids: map[string]int64{}}
	at := func(h int) time.Time { return exportBase.Add(time.Duration(h) * time.Hour) }
	add := func(key string, cm store.Comment) {
		c := e.addComment(cm)
		s.ids[key], s.cid = c.ID, c.ConsultationID
	}
	add("general", store.Comment{SectionAnchor: "general", Body: "总体意见:建议明确改革时间表。\n第二段。", Name: "张三", Identity: "个人",
		Phone: "13830463501", Email: "zhang@example.com", CreatedAt: at(0)})
	add("camp1", store.Comment{SectionAnchor: "article-1", Body: campaignText, Name: "李四", Identity: "个人", PublishName: true,
		Phone: "13900000001", CreatedAt: at(1)})
	add("camp2", store.Comment{SectionAnchor: "article-1", Body: campaignText, Name: "王五", Identity: "个人", CreatedAt: at(2)})
	add("camp3", store.Comment{SectionAnchor: "article-1", Body: campaignText, Name: "赵六", Identity: "个人", CreatedAt: at(3)})
	add("org", store.Comment{SectionAnchor: "chapter-2", Body: "建议本章增加对民营企业的支持。", Name: "钱七", Identity: "企业",
		Organization: "宁夏某某科技有限公司", PublishName: true, Email: "qian@example.com", CreatedAt: at(4)})
	add("letter", store.Comment{SectionAnchor: "preamble", Body: "来信:前言部分文字需要精简。", Name: "孙八", Identity: "个人",
		Channel: "letter", ReceivedAt: time.Date(2023, 2, 8, 0, 0, 0, 0, beijing), RecordedBy: "off", Late: true, CreatedAt: at(5)})
	add("adopted", store.Comment{SectionAnchor: "article-17", Body: "建议第十七条增加对中小企业的扶持措施。", Name: "周九", Identity: "个人",
		Phone: "0951-1234567", CreatedAt: at(6)})
	add("rejected", store.Comment{SectionAnchor: "article-3", Body: "建议取消第三条。", Name: "吴十", Identity: "其他", CreatedAt: at(7)})
	e.decide(s.ids["adopted"], store.Decision{Status: store.StatusAdopted, Response: "已采纳,将在第十七条中增加扶持措施。", Tags: "招商 营商环境"})
	e.decide(s.ids["rejected"], store.Decision{Status: store.StatusRejected, Response: "与上位法规定不一致。"})
	e.decide(s.ids["camp1"], store.Decision{Status: store.StatusAdopted, Response: "部分地方已采纳。"})
	return s
}

// download fetches the workbook as client and opens it.
func (e *testEnv) download(client *http.Client, query string) (*http.Response, []byte, *excelize.File) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+exportPath+query, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip") // set by hand, so the transport does not undo any gzip
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp, body, nil
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		e.t.Fatalf("the workbook does not open: %v", err)
	}
	e.t.Cleanup(func() { f.Close() })
	return resp, body, f
}

func sheetRows(t *testing.T, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// cellAt returns a row's cell, "" beyond its end (GetRows trims empty cells).
func cellAt(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

func col(name string, header []string) int { return slices.Index(header, name) }

// rowByLabel finds the summary row whose first cell is label.
func rowByLabel(rows [][]string, label string) []string {
	for _, r := range rows {
		if len(r) > 0 && r[0] == label {
			return r
		}
	}
	return nil
}

func TestExportWorkbook(t *testing.T) {
	e := newOpenEnv(t, "")
	seed := seedExport(e)
	officer := e.loginAs("off", store.RoleOfficer)
	resp, body, f := e.download(officer, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}

	// The response: a named attachment every browser keeps, not compressed twice.
	if ct := resp.Header.Get("Content-Type"); ct != xlsxType {
		t.Errorf("Content-Type %q", ct)
	}
	if ce := resp.Header.Get("Content-Encoding"); ce != "" || !bytes.HasPrefix(body, []byte("PK\x03\x04")) {
		t.Errorf("Content-Encoding %q, body starts %q", ce, body[:4])
	}
	cd := resp.Header.Get("Content-Disposition")
	wantName := "银川经济技术开发区推进体制机制改革促进高质量发展实施方案_征求意见汇总_20230110.xlsx"
	if !strings.HasPrefix(cd, `attachment; filename="yinchuan-etdz-reform-2022-comments-20230110.xlsx"; filename*=UTF-8''%E9%93%B6`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	if _, params, err := mime.ParseMediaType(cd); err != nil || params["filename"] != wantName {
		t.Errorf("browsers read the name as %q (%v), want %q", params["filename"], err, wantName)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}

	if got := f.GetSheetList(); !slices.Equal(got, []string{sheetSummary, sheetDetail, sheetFeedback}) {
		t.Fatalf("sheets %q", got)
	}

	// 意见明细: every comment in the draft's order (the whole draft, preamble, chapter,
	// articles), oldest first within a section, every column.
	rows := sheetRows(t, f, sheetDetail)
	if !slices.Equal(rows[0], detailHeader) {
		t.Errorf("header %q", rows[0])
	}
	if len(rows) != 9 {
		t.Fatalf("%d rows, want header + 8", len(rows))
	}
	h := rows[0]
	wantOrder := []string{"general", "letter", "org", "camp1", "camp2", "camp3", "rejected", "adopted"}
	for i, key := range wantOrder {
		cm, err := e.store.CommentByID(context.Background(), seed.cid, seed.ids[key])
		if err != nil {
			t.Fatal(err)
		}
		r := rows[i+1]
		if cellAt(r, col("序号", h)) != strconv.Itoa(i+1) || cellAt(r, col("受理编号", h)) != cm.Tracking || cellAt(r, col("意见内容", h)) != cm.Body {
			t.Errorf("row %d is not %s: %q", i+1, key, r)
		}
		if got, want := cellAt(r, col("提交时间", h)), cm.CreatedAt.In(beijing).Format("2006-01-02 15:04"); got != want {
			t.Errorf("%s: 提交时间 %q, want %q", key, got, want)
		}
	}
	get := func(key, column string) string {
		t.Helper()
		return cellAt(rows[slices.Index(wantOrder, key)+1], col(column, h))
	}
	for _, c := range []struct{ key, column, want string }{
		{"general", "条款", "全文/总体意见"},
		{"general", "章", ""},
		{"general", "联系电话", "13830463501"},
		{"general", "电子邮箱", "zhang@example.com"},
		{"general", "渠道", "网站"},
		{"general", "处理状态", "待处理"},
		{"camp1", "章", "二、基本原则"},
		{"camp1", "条款", "(一)"},
		{"camp1", "条款标题", "坚持简政放权"},
		{"camp1", "处理状态", "采纳"},
		{"camp1", "处理人", "off"},
		{"camp2", "重复组", fmt.Sprintf("第 %d 组(共 3 条)", seed.ids["camp1"])},
		{"camp2", "处理状态", "待处理"},
		{"general", "重复组", ""},
		{"org", "章", "二、基本原则"},
		{"org", "条款", "本章整体"},
		{"org", "单位", "宁夏某某科技有限公司"},
		{"org", "身份", "企业"},
		{"letter", "条款", "前言"},
		{"letter", "渠道", "信函(逾期收到)"},
		{"adopted", "条款标题", "加快建立现代产业体系"},
		{"adopted", "章", "五、加快转型升级"},
		{"adopted", "联系电话", "0951-1234567"},
		{"adopted", "处理意见/理由", "已采纳,将在第十七条中增加扶持措施。"},
		{"adopted", "标签", "招商 营商环境"},
		{"rejected", "处理状态", "不予采纳"},
		{"rejected", "身份", "其他"},
	} {
		if got := get(c.key, c.column); got != c.want {
			t.Errorf("%s %s = %q, want %q", c.key, c.column, got, c.want)
		}
	}
	// Times are real date-times (numbers with a date format) in Beijing time.
	for _, cell := range []string{"C8", "S8"} { // row 8: the rejected comment, on (三)
		typ, _ := f.GetCellType(sheetDetail, cell)
		raw, _ := f.GetCellValue(sheetDetail, cell, excelize.Options{RawCellValue: true})
		v, err := strconv.ParseFloat(raw, 64)
		if typ == excelize.CellTypeInlineString || err != nil {
			t.Fatalf("%s is %v %q, want a number", cell, typ, raw)
		}
		got, _ := excelize.ExcelDateToTime(v, false)
		cm, _ := e.store.CommentByID(context.Background(), seed.cid, seed.ids["rejected"])
		want := cm.CreatedAt
		if cell == "S8" {
			want = cm.DecidedAt
		}
		wall := want.In(beijing)
		if d := got.Sub(time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, time.UTC)); d < -time.Second || d > time.Second {
			t.Errorf("%s = %v, want Beijing wall time %v", cell, got, wall)
		}
	}
	if got := get("general", "处理时间"); got != "" {
		t.Errorf("undecided comment has 处理时间 %q", got)
	}
	// Text is text, never a formula: "=SUM(A1)" and friends are tested in
	// TestExportHostileText; here the type of an ordinary cell.
	if typ, _ := f.GetCellType(sheetDetail, "G2"); typ != excelize.CellTypeInlineString {
		t.Errorf("意见内容 cell type %v", typ)
	}

	// Layout: frozen header, autofilter, widths, wrapped text, print setup.
	for _, sh := range []string{sheetDetail, sheetFeedback} {
		p, err := f.GetPanes(sh)
		if err != nil || !p.Freeze || p.YSplit != 1 || p.TopLeftCell != "A2" {
			t.Errorf("%s panes %+v %v", sh, p, err)
		}
		pl, err := f.GetPageLayout(sh)
		if err != nil || pl.Orientation == nil || *pl.Orientation != "landscape" || pl.FitToWidth == nil || *pl.FitToWidth != 1 {
			t.Errorf("%s page layout %+v %v", sh, pl, err)
		}
		props, err := f.GetSheetProps(sh)
		if err != nil || props.FitToPage == nil || !*props.FitToPage {
			t.Errorf("%s is not fitted to the page: %+v", sh, props)
		}
	}
	names := map[string]string{}
	for _, dn := range f.GetDefinedName() {
		names[dn.Name+"@"+dn.Scope] = dn.RefersTo
	}
	for k, want := range map[string]string{
		"_xlnm.Print_Titles@" + sheetDetail:      "'" + sheetDetail + "'!$1:$1",
		"_xlnm.Print_Titles@" + sheetFeedback:    "'" + sheetFeedback + "'!$1:$1",
		"_xlnm._FilterDatabase@" + sheetDetail:   "'" + sheetDetail + "'!$A$1:$X$9",
		"_xlnm._FilterDatabase@" + sheetFeedback: "'" + sheetFeedback + "'!$A$1:$G$7",
	} {
		if names[k] != want {
			t.Errorf("defined name %s = %q, want %q (all: %v)", k, names[k], want, names)
		}
	}
	for c, want := range map[string]float64{"A": 7, "G": 60, "O": 40} {
		if w, _ := f.GetColWidth(sheetDetail, c); w != want {
			t.Errorf("column %s width %v, want %v", c, w, want)
		}
	}
	for cell, wrap := range map[string]bool{"G2": true, "O2": true, "B2": false} {
		id, _ := f.GetCellStyle(sheetDetail, cell)
		st, err := f.GetStyle(id)
		if err != nil || st.Alignment == nil || st.Alignment.WrapText != wrap || st.Alignment.Vertical != "top" {
			t.Errorf("%s style %+v %v", cell, st, err)
		}
	}
	sum := sheetRows(t, f, sheetSummary)
	d, _ := e.app.loadDraft(context.Background(), seedSlug)
	head := slices.IndexFunc(sum, func(r []string) bool { return len(r) > 2 && r[0] == "条款" && r[2] == "意见数" })
	if head < 0 || len(sum)-head-1 != len(d.Sections)+1 {
		t.Errorf("section table: header at %d, %d rows, want %d", head, len(sum)-head-1, len(d.Sections)+1)
	}
	tableTop := head + 1 // the header's row number
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string]string{}
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		parts[zf.Name] = string(b)
	}
	for part, wants := range map[string][]string{
		"xl/worksheets/sheet2.xml": {`<autoFilter ref="$A$1:$X$9"`, `orientation="landscape"`, `paperSize="9"`, `&amp;C第 &amp;P 页,共 &amp;N 页`},
		"xl/worksheets/sheet3.xml": {`<autoFilter ref="$A$1:$G$7"`, `paperSize="9"`},
		"xl/charts/chart1.xml": {`<barDir val="bar">`, `<orientation val="maxMin">`, `<varyColors val="0">`,
			fmt.Sprintf(`<cat><strRef><f>&#39;汇总&#39;!$A$%d:$A$%d</f>`, tableTop+1, tableTop+len(d.Sections)+1),
			fmt.Sprintf(`<val><numRef><f>&#39;汇总&#39;!$C$%d:$C$%d</f>`, tableTop+1, tableTop+len(d.Sections)+1), `各条款意见数`},
	} {
		for _, w := range wants {
			if !strings.Contains(parts[part], w) {
				t.Errorf("%s lacks %q", part, w)
			}
		}
	}

	// 意见采纳情况汇总表: document order, the campaign folded into one row.
	rows = sheetRows(t, f, sheetFeedback)
	if !slices.Equal(rows[0], feedbackHeader) {
		t.Errorf("feedback header %q", rows[0])
	}
	want := [][]string{
		{"1", "全文/总体意见", "个人", "总体意见:建议明确改革时间表。\n第二段。", "1", "待处理"},
		{"2", "前言", "个人", "来信:前言部分文字需要精简。", "1", "待处理"},
		{"3", "二、基本原则(本章整体)", "宁夏某某科技有限公司 钱七", "建议本章增加对民营企业的支持。", "1", "待处理"},
		{"4", "(一)坚持简政放权", "李四等", campaignText, "3", "待处理 2 条;采纳 1 条", "部分地方已采纳。"},
		{"5", "(三)坚持稳中求进", "其他", "建议取消第三条。", "1", "不予采纳", "与上位法规定不一致。"},
		{"6", "(十七)加快建立现代产业体系", "个人", "建议第十七条增加对中小企业的扶持措施。", "1", "采纳", "已采纳,将在第十七条中增加扶持措施。"},
	}
	if len(rows) != len(want)+1 {
		t.Fatalf("feedback rows %q", rows)
	}
	for i, w := range want {
		if !slices.Equal(rows[i+1], w) {
			t.Errorf("feedback row %d\n got %q\nwant %q", i+1, rows[i+1], w)
		}
	}

	// 汇总: the consultation, the totals, the table per section.
	rows = sheetRows(t, f, sheetSummary)
	if rows[0][0] != "《银川经济技术开发区推进体制机制改革促进高质量发展实施方案》征求意见汇总" {
		t.Errorf("title %q", rows[0])
	}
	for label, want := range map[string][]string{
		"发布单位":    {"银川经济技术开发区"},
		"征求意见时间":  {"2022年12月21日 17:24 至 2023年2月7日 17:00"},
		"联系方式":    {"陈淑芳 13830463501 1837060996@qq.com"},
		"导出范围":    {"全部意见;意见明细按条款顺序排列"},
		"导出时间":    {"2023年1月10日 10:00,导出人:off(联系人/承办人)"},
		"提交人联系方式": {"完整显示"},
		"意见总数":    {"8"},
		"已处理":     {"3"},
		"处理进度":    {"37.5%"},
		"相同或相似意见": {"1 组,共 3 条(其中 2 条并入所在组的第一条)"},
		"待处理":     {"5", "62.5%"},
		"采纳":      {"2", "25.0%"},
		"不予采纳":    {"1", "12.5%"},
		"企业":      {"1", "12.5%"},
		"信函":      {"1", "12.5%"},
		"网站":      {"7", "87.5%"},
		"(一)":     {"坚持简政放权", "3", "1", "0", "0", "2"},
		"全文":      {"总体意见", "1", "0", "0", "0", "1"},
		"二、":      {"基本原则(本章整体)", "1", "0", "0", "0", "1"},
		"(二十三)":   {"强化督查落实", "0", "0", "0", "0", "0"},
	} {
		r := rowByLabel(rows, label)
		if r == nil || !slices.Equal(r[1:], want) {
			t.Errorf("summary %s: %q, want %q", label, r, want)
		}
	}

	// The download is in the audit log, with what was downloaded.
	entries, err := e.store.ListAudit(context.Background(), store.AuditFilter{Action: "export"})
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit %v %v", entries, err)
	}
	a := entries[0]
	var after map[string]any
	if err := json.Unmarshal([]byte(a.AfterJSON), &after); err != nil {
		t.Fatal(err)
	}
	if a.Username != "off" || a.ConsultationID != seed.cid || a.Target != "consultation:"+seedSlug ||
		after["rows"] != 8.0 || after["comments"] != 8.0 || after["complete"] != true || after["masked"] != false ||
		after["bytes"] != float64(len(body)) || after["format"] != "xlsx" || fmt.Sprint(after["filter"]) != "map[]" {
		t.Errorf("audit entry %+v %s", a, a.AfterJSON)
	}
}

func TestExportRoles(t *testing.T) {
	e := newOpenEnv(t, "")
	seedExport(e)
	for _, tc := range []struct {
		role         string
		phone, email string
		note         string
	}{
		{store.RoleAdmin, "13830463501", "zhang@example.com", "完整显示"},
		{store.RoleOfficer, "13830463501", "zhang@example.com", "完整显示"},
		{store.RoleCommittee, "138****3501", "z***@example.com", "联系电话和电子邮箱已部分隐去,导出账户的角色为起草委员会(只读)"},
	} {
		t.Run(tc.role, func(t *testing.T) {
			if got := e.app.exportUnmasked(tc.role); got != (tc.phone == "13830463501") {
				t.Errorf("exportUnmasked(%s) = %v", tc.role, got)
			}
			resp, body, f := e.download(e.loginAs("u-"+tc.role, tc.role), "")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			rows := sheetRows(t, f, sheetDetail)
			last := rows[1] // 张三's comment on the whole draft comes first
			if got := [2]string{cellAt(last, 10), cellAt(last, 11)}; got != [2]string{tc.phone, tc.email} {
				t.Errorf("contact %q", got)
			}
			if r := rowByLabel(sheetRows(t, f, sheetSummary), "提交人联系方式"); r == nil || r[1] != tc.note {
				t.Errorf("summary says %q", r)
			}
			for _, r := range rows[1:] { // nothing unmasked slips through in another row
				if tc.role == store.RoleCommittee && (strings.Contains(cellAt(r, 10), "0000") || strings.Contains(cellAt(r, 11), "qian@")) {
					t.Errorf("unmasked contact %q", r)
				}
			}
		})
	}
	t.Run("export.unmasked_roles", func(t *testing.T) {
		e := newOpenEnv(t, "\n[export]\nunmasked_roles = [\"committee\"]\n")
		seedExport(e)
		for role, want := range map[string]string{store.RoleCommittee: "13830463501", store.RoleOfficer: "138****3501"} {
			_, _, f := e.download(e.loginAs("cfg-"+role, role), "?sort=old")
			if got := cellAt(sheetRows(t, f, sheetDetail)[1], 10); got != want {
				t.Errorf("%s sees %q, want %q", role, got, want)
			}
		}
	})
	t.Run("signed out", func(t *testing.T) {
		resp, _, _ := e.download(newClient(t), "")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login?next=") {
			t.Errorf("status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("unknown consultation", func(t *testing.T) {
		status, _ := e.getWith(e.loginAs("u-404", store.RoleAdmin), "/admin/c/no-such-thing/export.xlsx")
		if status != http.StatusNotFound {
			t.Errorf("status %d", status)
		}
	})
}

func TestExportFilter(t *testing.T) {
	e := newOpenEnv(t, "")
	seed := seedExport(e)
	client := e.loginAs("off", store.RoleOfficer)
	trackings := func(f *excelize.File) []string {
		var out []string
		for _, r := range sheetRows(t, f, sheetDetail)[1:] {
			out = append(out, r[1])
		}
		return out
	}
	tr := func(keys ...string) []string {
		var out []string
		for _, k := range keys {
			cm, err := e.store.CommentByID(context.Background(), seed.cid, seed.ids[k])
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, cm.Tracking)
		}
		return out
	}
	for _, tc := range []struct {
		query    string
		detail   []string
		feedback [][]string // 条款, 提出者, 意见条数, 采纳情况
		scope    string
		total    string
	}{
		{"?status=adopted", []string{"camp1", "adopted"},
			[][]string{{"(一)坚持简政放权", "李四", "1", "采纳"}, {"(十七)加快建立现代产业体系", "个人", "1", "采纳"}},
			"处理状态:采纳;意见明细按条款顺序排列", "2"},
		{"?section=article-1", []string{"camp1", "camp2", "camp3"},
			[][]string{{"(一)坚持简政放权", "李四等", "3", "待处理 2 条;采纳 1 条"}},
			"条款:(一)坚持简政放权;意见明细按条款顺序排列", "3"},
		{"?section=article-1&collapse=1", []string{"camp1"},
			[][]string{{"(一)坚持简政放权", "李四等", "3", "待处理 2 条;采纳 1 条"}},
			"条款:(一)坚持简政放权;意见明细中相同或相似意见只列第一条;意见明细按条款顺序排列", "3"},
		{"?sort=old&channel=letter", []string{"letter"},
			[][]string{{"前言", "个人", "1", "待处理"}},
			"渠道:信函;意见明细按提交时间从早到晚排列", "1"},
		{"?sort=old&identity=个人&has_response=yes", []string{"camp1", "adopted"},
			[][]string{{"(一)坚持简政放权", "李四", "1", "采纳"}, {"(十七)加快建立现代产业体系", "个人", "1", "采纳"}},
			"身份:个人;已填写处理意见;意见明细按提交时间从早到晚排列", "2"},
		{"?q=简政放权&sort=old", []string{"camp1", "camp2", "camp3"},
			[][]string{{"(一)坚持简政放权", "李四等", "3", "待处理 2 条;采纳 1 条"}},
			"包含:“简政放权”;意见明细按提交时间从早到晚排列", "3"},
		{"?from=2023-01-05&to=2023-01-05&tag=招商", []string{"adopted"},
			[][]string{{"(十七)加快建立现代产业体系", "个人", "1", "采纳"}},
			"提交日期不早于 2023-01-05;提交日期不晚于 2023-01-05;标签:招商;意见明细按条款顺序排列", "1"},
		{"?sort=group", []string{"camp3", "camp2", "camp1", "rejected", "adopted", "letter", "org", "general"}, nil,
			"全部意见;意见明细按重复组大小排列", "8"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			resp, body, f := e.download(client, strings.ReplaceAll(tc.query, "个人", "%E4%B8%AA%E4%BA%BA"))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if got, want := trackings(f), tr(tc.detail...); !slices.Equal(got, want) {
				t.Errorf("detail %q, want %q (%v)", got, want, tc.detail)
			}
			if tc.feedback != nil {
				var got [][]string
				for _, r := range sheetRows(t, f, sheetFeedback)[1:] {
					got = append(got, []string{r[1], r[2], r[4], r[5]})
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.feedback) {
					t.Errorf("feedback %q, want %q", got, tc.feedback)
				}
			}
			sum := sheetRows(t, f, sheetSummary)
			if r := rowByLabel(sum, "导出范围"); r == nil || r[1] != tc.scope {
				t.Errorf("scope %q, want %q", r, tc.scope)
			}
			if r := rowByLabel(sum, "意见总数"); r == nil || r[1] != tc.total {
				t.Errorf("total %q, want %s", r, tc.total)
			}
			_, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
			if filtered := tc.query != "?sort=group"; strings.Contains(params["filename"], "征求意见汇总(筛选)_") != filtered {
				t.Errorf("file name %q (filtered: %v)", params["filename"], filtered)
			}
		})
	}
	t.Run("one-character search", func(t *testing.T) {
		resp, body, _ := e.download(client, "?q=%E5%BB%BA")
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "搜索词至少需要两个字。") {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
	entries, err := e.store.ListAudit(context.Background(), store.AuditFilter{Action: "export", Limit: 1})
	if err != nil || len(entries) != 1 || !strings.Contains(entries[0].AfterJSON, `"filter":{"from":"2023-01-05","tag":"招商","to":"2023-01-05"}`) &&
		!strings.Contains(entries[0].AfterJSON, `"filter":{"sort":"group"}`) {
		t.Errorf("audit %+v %v", entries, err)
	}
}

// hostileTexts are things a browser can submit, or old data can hold, that break
// careless exports: formulas, controls, emoji, direction marks, OOXML escapes,
// numbers and dates that must stay text, and the longest comments.
var hostileTexts = []string{
	"=SUM(A1)", "+1", "-1", "@x", "=HYPERLINK(\"http://example.com\",\"点我\")", "=cmd|' /C calc'!A0", "\t=1+1", "@SUM(1)",
	" 前后有空格 ", "<b>&amp;</b> ]]> \"'", "_x0041_ _x005F_ _x000D_", "👍🏽👨‍👩‍👧 表情", "\u202Eevil\u202C \u200F\u200E עברית العربية",
	"𠀀𠀁 扩展B区", "e\u0301 组合字符", "第一行\n第二行\r\n第三行", "0012345", "1e5", "TRUE", "2023-01-10", "12%",
	strings.Repeat("长", 15000), strings.Repeat("👍", 15000),
}

func TestExportHostileText(t *testing.T) {
	e := newOpenEnv(t, "")
	control := "控\x00制\x01字\x08符\x0b换\x0c页\x1f结\x7f束\uFFFE。"
	tooLong := strings.Repeat("超长", 20000)
	bodies := append(slices.Clone(hostileTexts), control, tooLong)
	var saved []*store.Comment
	for i, b := range bodies {
		name := hostileTexts[i%len(hostileTexts)]
		saved = append(saved, e.addComment(store.Comment{SectionAnchor: "general", Body: b, Name: name[:min(len(name), 40)],
			Identity: "个人", Organization: "=1+1", CreatedAt: exportBase.Add(time.Duration(i) * time.Minute)}))
	}
	e.decide(saved[0].ID, store.Decision{Status: store.StatusExplained, Response: "=1+2\n@x", Tags: "@tag =x"})
	resp, body, f := e.download(e.loginAs("off", store.RoleOfficer), "?sort=old")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	rows := sheetRows(t, f, sheetDetail)
	if len(rows) != len(bodies)+1 {
		t.Fatalf("%d rows", len(rows))
	}
	for i, in := range bodies {
		want, _ := exportsheet.Text(in)
		cell := "G" + strconv.Itoa(i+2)
		got, err := f.GetCellValue(sheetDetail, cell)
		if err != nil || got != want {
			t.Errorf("body %d: got %q…, want %q…", i, excerpt(got, 30), excerpt(want, 30))
		}
		if typ, _ := f.GetCellType(sheetDetail, cell); typ != excelize.CellTypeInlineString {
			t.Errorf("body %d %q is a %v cell", i, excerpt(in, 20), typ)
		}
		if formula, _ := f.GetCellFormula(sheetDetail, cell); formula != "" {
			t.Errorf("body %d became a formula %q", i, formula)
		}
		if i < len(hostileTexts) && got != in {
			t.Errorf("body %d changed on the way: %q", i, excerpt(got, 30))
		}
	}
	if got := rows[len(hostileTexts)+1][6]; got != "控制字符\n换\n页结\x7f束\uFFFD。" {
		t.Errorf("controls: %q", got)
	}
	long := rows[len(bodies)][6]
	if !strings.HasPrefix(long, tooLong[:30000]) || !strings.Contains(long, "全文共 40000 字") {
		t.Errorf("a 40,000-character comment was cut without a note: …%q", long[len(long)-200:])
	}
	if r := rows[1]; cellAt(r, col("单位", rows[0])) != "=1+1" || cellAt(r, col("标签", rows[0])) != "@tag =x" ||
		cellAt(r, col("提交人", rows[0])) != "=SUM(A1)" || cellAt(r, col("处理意见/理由", rows[0])) != "=1+2\n@x" {
		t.Errorf("other columns: %q", r)
	}
	// The feedback table has each comment that leads its duplicate group ("+1" and
	// "-1" are one group to the duplicate finder), exactly as written.
	fbBodies := map[string]bool{}
	for _, r := range sheetRows(t, f, sheetFeedback)[1:] {
		fbBodies[r[3]] = true
	}
	for i, cm := range saved {
		want, _ := exportsheet.Text(cm.Body)
		if cm.GroupID == cm.ID && !fbBodies[want] {
			t.Errorf("feedback table lacks body %d %q", i, excerpt(want, 30))
		}
	}
	if len(fbBodies) != len(saved)-1 {
		t.Errorf("feedback table has %d distinct bodies, want %d", len(fbBodies), len(saved)-1)
	}
	// No formula anywhere in the workbook's sheets.
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/sheet") {
			continue
		}
		rc, _ := zf.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if bytes.Contains(b, []byte("<f>")) || bytes.Contains(b, []byte("<f ")) {
			t.Errorf("%s has a formula", zf.Name)
		}
	}
	entries, _ := e.store.ListAudit(context.Background(), store.AuditFilter{Action: "export"})
	if len(entries) != 1 || !strings.Contains(entries[0].AfterJSON, `"shortened":2`) {
		t.Errorf("audit does not record the shortened cells: %+v", entries)
	}
}

// TestExportLibreOffice opens the workbook in LibreOffice (headless) and converts
// every sheet to UTF-8 CSV: the file opens, the Chinese text survives and
// formula-looking text stays text. CI must have LibreOffice (libreoffice-calc-nogui).
func TestExportLibreOffice(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("soffice not found: install libreoffice-calc-nogui")
		}
		t.Skip("soffice not found (install libreoffice-calc-nogui); required in CI")
	}
	e := newOpenEnv(t, "")
	seedExport(e)
	for i, s := range hostileTexts[:21] {
		e.addComment(store.Comment{SectionAnchor: "article-2", Body: s, Name: "测试", Identity: "个人", CreatedAt: exportBase.Add(time.Duration(100+i) * time.Minute)})
	}
	resp, body, f := e.download(e.loginAs("off", store.RoleOfficer), "?sort=old")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	feedbackRows := len(sheetRows(t, f, sheetFeedback))
	dir := t.TempDir()
	in := filepath.Join(dir, "export.xlsx")
	if err := os.WriteFile(in, body, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// UTF-8 (76), first line, cells as shown, every sheet to its own file (-1).
	cmd := exec.CommandContext(ctx, soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless", "--norestore",
		"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1", "--outdir", dir, in)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	read := func(sheet string) [][]string {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join(dir, "export-"+sheet+".csv"))
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		r := csv.NewReader(bytes.NewReader(raw))
		r.FieldsPerRecord = -1
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	detail := read(sheetDetail)
	if !slices.Equal(detail[0], detailHeader) {
		t.Errorf("LibreOffice reads the header as %q", detail[0])
	}
	if len(detail) != 8+21+1 {
		t.Errorf("%d rows", len(detail))
	}
	if got := detail[1][col("提交时间", detailHeader)]; got != "2023-01-05 09:30" {
		t.Errorf("提交时间 %q", got)
	}
	if got := detail[1][col("意见内容", detailHeader)]; got != "总体意见:建议明确改革时间表。\n第二段。" {
		t.Errorf("Chinese text %q", got)
	}
	for i, s := range hostileTexts[:21] {
		if got := detail[9+i][col("意见内容", detailHeader)]; got != s && !(s == "第一行\n第二行\r\n第三行" && got == "第一行\n第二行\n第三行") {
			t.Errorf("LibreOffice reads %q as %q", s, got)
		}
	}
	if fb := read(sheetFeedback); !slices.Equal(fb[0], feedbackHeader) || len(fb) != feedbackRows {
		t.Errorf("feedback sheet %d rows, header %q", len(fb), fb[0])
	}
	sum := read(sheetSummary)
	if sum[0][0] != "《银川经济技术开发区推进体制机制改革促进高质量发展实施方案》征求意见汇总" {
		t.Errorf("summary title %q", sum[0][0])
	}
}

// TestExportStore checks the snapshot reader: orders, early stop, isolation from
// later writes, concurrent use and the group tallies.
func TestExportStore(t *testing.T) {
	e := newOpenEnv(t, "")
	seed := seedExport(e)
	ctx := context.Background()
	ids := func(x interface {
		EachComment(context.Context, store.QueueFilter, func(*store.Comment) error) error
	}, f store.QueueFilter) []int64 {
		t.Helper()
		var out []int64
		if err := x.EachComment(ctx, f, func(c *store.Comment) error { out = append(out, c.ID); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	k := func(keys ...string) []int64 {
		var out []int64
		for _, key := range keys {
			out = append(out, seed.ids[key])
		}
		return out
	}
	f := store.QueueFilter{ConsultationID: seed.cid}
	all := k("general", "camp1", "camp2", "camp3", "org", "letter", "adopted", "rejected")
	rev := slices.Clone(all)
	slices.Reverse(rev)
	for _, tc := range []struct {
		sort string
		want []int64
	}{
		{"", rev},
		{"old", all},
		{"group", k("camp3", "camp2", "camp1", "rejected", "adopted", "letter", "org", "general")},
	} {
		f.Sort = tc.sort
		if got := ids(e.store, f); !slices.Equal(got, tc.want) {
			t.Errorf("sort %q: %v, want %v", tc.sort, got, tc.want)
		}
	}
	f.Sort, f.Limit, f.Cursor = "old", 2, "1.1" // ignored: every match is visited
	if got := ids(e.store, f); !slices.Equal(got, all) {
		t.Errorf("with limit and cursor: %v", got)
	}
	stop := errors.New("stop")
	n := 0
	err := e.store.EachComment(ctx, store.QueueFilter{ConsultationID: seed.cid}, func(*store.Comment) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("stop: %v after %d", err, n)
	}
	if err := e.store.EachComment(ctx, store.QueueFilter{ConsultationID: seed.cid, Q: "建"}, func(*store.Comment) error { return nil }); !errors.Is(err, store.ErrShortQuery) {
		t.Errorf("short query: %v", err)
	}

	x, err := e.store.BeginExport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	late := e.addComment(store.Comment{SectionAnchor: "article-1", Body: campaignText, Name: "后来者", Identity: "个人", CreatedAt: exportBase.Add(48 * time.Hour)})
	f = store.QueueFilter{ConsultationID: seed.cid, Sort: "old"}
	if got := ids(x, f); !slices.Equal(got, all) {
		t.Errorf("the snapshot sees %v", got)
	}
	if got := ids(e.store, f); len(got) != len(all)+1 || got[len(got)-1] != late.ID {
		t.Errorf("a fresh read sees %v", got)
	}
	// Several goroutines on one snapshot, as the export's sheets read it.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if got := ids(x, f); !slices.Equal(got, all) {
					t.Errorf("concurrent read %v", got)
				}
			}
		}()
	}
	wg.Wait()

	tallies, err := x.GroupTallies(ctx, store.QueueFilter{ConsultationID: seed.cid, Collapse: true})
	if err != nil {
		t.Fatal(err)
	}
	g := tallies[store.GroupKey{Anchor: "article-1", GroupID: seed.ids["camp1"]}]
	if len(tallies) != 1 || g == nil || g.Count != 3 || g.First != seed.ids["camp1"] ||
		fmt.Sprint(g.ByStatus) != "map[adopted:1 pending:2]" {
		t.Errorf("tallies %v %+v (the snapshot has three copies)", tallies, g)
	}
	if tallies, _ := x.GroupTallies(ctx, store.QueueFilter{ConsultationID: seed.cid, Status: store.StatusPending}); tallies[store.GroupKey{Anchor: "article-1", GroupID: seed.ids["camp1"]}].Count != 2 {
		t.Errorf("tallies follow the filter: %v", tallies)
	}
	anchors, err := x.Anchors(ctx, seed.cid)
	if err != nil || fmt.Sprint(anchors) != "[article-1 article-17 article-3 chapter-2 general preamble]" {
		t.Errorf("anchors %v %v", anchors, err)
	}
	sizes, err := x.GroupSizes(ctx, seed.cid)
	if err != nil || len(sizes) != 1 || sizes[seed.ids["camp1"]] != 3 {
		t.Errorf("sizes %v %v", sizes, err)
	}
}

// failingWriter is a response whose connection breaks at the first body byte.
type failingWriter struct{ h http.Header }

func (w *failingWriter) Header() http.Header       { return w.h }
func (w *failingWriter) WriteHeader(int)           {}
func (w *failingWriter) Write([]byte) (int, error) { return 0, errors.New("connection reset") }

// TestExportBrokenStream: when the response breaks after the headers, the handler
// aborts the connection (so no browser keeps a truncated file), records the failed
// download, and the next export runs.
func TestExportBrokenStream(t *testing.T) {
	e := newOpenEnv(t, "")
	seedExport(e)
	u := e.newUser("off", store.RoleOfficer)
	c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, exportPath, nil), &failingWriter{h: http.Header{}})
	c.SetParamNames("slug")
	c.SetParamValues(seedSlug)
	c.Set(ctxSession, &store.Session{User: *u})
	func() {
		defer func() {
			if r := recover(); r != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", r)
			}
		}()
		err := e.app.exportXLSX(c)
		t.Errorf("returned %v", err)
	}()
	entries, err := e.store.ListAudit(context.Background(), store.AuditFilter{Action: "export"})
	if err != nil || len(entries) != 1 || !strings.Contains(entries[0].AfterJSON, `"complete":false`) {
		t.Fatalf("audit %+v %v", entries, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, _, _ := e.download(e.loginAs("off2", store.RoleOfficer), ""); resp.StatusCode != http.StatusOK {
			t.Errorf("next export: %d", resp.StatusCode)
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the export slot was not released")
	}
}

func TestExportFileName(t *testing.T) {
	d := &draftData{C: &store.Consultation{Slug: "a-b", Title: "关于/修改《某某条例》的\n决定:草案"}}
	now := time.Date(2023, 2, 7, 23, 30, 0, 0, time.UTC) // 2023-02-08 in Beijing
	name, fallback := exportFileName(d, store.QueueFilter{}, now)
	if name != "关于修改《某某条例》的决定草案_征求意见汇总_20230208.xlsx" || fallback != "a-b-comments-20230208.xlsx" {
		t.Errorf("%q %q", name, fallback)
	}
	name, _ = exportFileName(d, store.QueueFilter{Status: store.StatusAdopted}, now)
	if !strings.Contains(name, "_征求意见汇总(筛选)_") {
		t.Errorf("%q", name)
	}
	if name, _ = exportFileName(d, store.QueueFilter{Sort: "old"}, now); strings.Contains(name, "筛选") {
		t.Errorf("an order alone is not a filter: %q", name)
	}
	d.C.Title = "///"
	if name, _ = exportFileName(d, store.QueueFilter{}, now); name != "a-b_征求意见汇总_20230208.xlsx" {
		t.Errorf("no usable title: %q", name)
	}
}

// TestSheetWriterSpill: the second sheet waits for the first one's rows to spill to
// excelize's temporary file; the signal must never come before the spill.
func TestSheetWriterSpill(t *testing.T) {
	dir := t.TempDir()
	f := excelize.NewFile(excelize.Options{TmpDir: dir})
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	calls, rowsAtCall := 0, 0
	spilled := func() {
		calls++
		if files, _ := filepath.Glob(filepath.Join(dir, "excelize-*")); len(files) == 0 {
			t.Error("signalled before excelize wrote its temporary file")
		}
	}
	write := sheetWriter(sw, spilled)
	body := strings.Repeat("意见", 3000) // 18 KB of UTF-8
	for i := 0; i < 1200; i++ {
		if err := write([]any{i, body, nil, nil, "短"}); err != nil {
			t.Fatal(err)
		}
		if calls == 1 && rowsAtCall == 0 {
			rowsAtCall = i + 1
		}
	}
	// About 16 MB of rows (each 18 KB and a few cells): not long after the spill.
	if calls != 1 || rowsAtCall < excelize.StreamChunkSize/(len(body)+100) || rowsAtCall > excelize.StreamChunkSize/len(body)+1 {
		t.Errorf("spilled called %d times, first after %d rows", calls, rowsAtCall)
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
}
