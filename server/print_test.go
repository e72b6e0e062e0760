package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"consult/store"
)

// needTool skips a test when a program is missing, except under CI, where it fails.
func needTool(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed (needed under CI)", n)
			}
			t.Skipf("%s is not installed", n)
		}
	}
}

// printedPage is one page of a workbook printed to PDF.
type printedPage struct {
	N             int
	Width, Height float64 // points
	Text          string  // pdftotext -layout
}

var pageSizeRE = regexp.MustCompile(`(?m)^Page\s+(\d+) size:\s+([\d.]+) x ([\d.]+) pts`)

// convertToPDF converts .xlsx files to PDF with LibreOffice in one run, as a
// committee member prints them; each PDF lands next to its workbook.
func convertToPDF(t *testing.T, files ...string) {
	t.Helper()
	// A profile of its own, so parallel runs (and a desktop LibreOffice) do not collide.
	profile := "file://" + filepath.Join(t.TempDir(), "lo-profile")
	args := append([]string{"-env:UserInstallation=" + profile, "--headless", "--norestore", "--nologo",
		"--convert-to", "pdf", "--outdir", filepath.Dir(files[0])}, files...)
	cmd := exec.Command("soffice", args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	t.Logf("soffice converted %d workbooks in %v", len(files), time.Since(start).Round(time.Millisecond))
}

// printedPages returns the pages of a workbook's PDF with their sizes and text.
func printedPages(t *testing.T, xlsx string) []printedPage {
	t.Helper()
	pdf := strings.TrimSuffix(xlsx, ".xlsx") + ".pdf"
	if keep := os.Getenv("CONSULT_KEEP_PRINTS"); keep != "" { // to look at them by hand
		for _, f := range []string{xlsx, pdf} {
			if b, err := os.ReadFile(f); err == nil {
				_ = os.WriteFile(filepath.Join(keep, filepath.Base(f)), b, 0o600)
			}
		}
	}
	info, err := exec.Command("pdfinfo", "-f", "1", "-l", "1000", pdf).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	var pages []printedPage
	for _, m := range pageSizeRE.FindAllStringSubmatch(string(info), -1) {
		n, _ := strconv.Atoi(m[1])
		w, _ := strconv.ParseFloat(m[2], 64)
		h, _ := strconv.ParseFloat(m[3], 64)
		text, err := exec.Command("pdftotext", "-layout", "-f", m[1], "-l", m[1], pdf, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext page %d: %v", n, err)
		}
		pages = append(pages, printedPage{N: n, Width: w, Height: h, Text: string(text)})
	}
	if len(pages) == 0 {
		t.Fatalf("no pages in %s:\n%s", pdf, info)
	}
	return pages
}

// pdfWord is a word pdftotext found on a page, in points from the top left.
type pdfWord struct {
	Text       string
	X0, Y0, X1 float64
	Y1         float64
}

var bboxWordRE = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)

// visibleWords returns the words of a page that are actually drawn: LibreOffice
// writes the text of a chart on every page its anchor rows touch and clips it away,
// so a word counts only where the rendered page has ink inside its box.
func visibleWords(t *testing.T, pdf string, page int) []pdfWord {
	t.Helper()
	n := strconv.Itoa(page)
	bbox, err := exec.Command("pdftotext", "-bbox", "-f", n, "-l", n, pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext -bbox: %v", err)
	}
	prefix := filepath.Join(t.TempDir(), "page")
	if out, err := exec.Command("pdftoppm", "-gray", "-r", "72", "-singlefile", "-f", n, "-l", n, pdf, prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(prefix + ".pgm")
	if err != nil {
		t.Fatal(err)
	}
	var w, h, maxv int
	var hdr int
	if _, err := fmt.Sscanf(string(raw[:min(len(raw), 64)]), "P5\n%d %d\n%d\n", &w, &h, &maxv); err != nil {
		t.Fatalf("pgm header: %v", err)
	}
	hdr = len(raw) - w*h
	ink := func(x0, y0, x1, y1 float64) bool {
		for y := max(int(y0), 0); y < min(int(y1)+1, h); y++ {
			for x := max(int(x0), 0); x < min(int(x1)+1, w); x++ {
				if raw[hdr+y*w+x] < 230 { // any ink: axis labels are light grey
					return true
				}
			}
		}
		return false
	}
	var out []pdfWord
	for _, m := range bboxWordRE.FindAllStringSubmatch(string(bbox), -1) {
		var v [4]float64
		for i := range v {
			v[i], _ = strconv.ParseFloat(m[i+1], 64)
		}
		if ink(v[0], v[1], v[2], v[3]) {
			out = append(out, pdfWord{Text: m[5], X0: v[0], Y0: v[1], X1: v[2], Y1: v[3]})
		}
	}
	return out
}

func findWord(words []pdfWord, text string) *pdfWord {
	for i := range words {
		if strings.Contains(words[i].Text, text) {
			return &words[i]
		}
	}
	return nil
}

// isA4 reports whether a page is A4 (595 × 842 pt) in either orientation.
func isA4(p printedPage) bool {
	near := func(a, b float64) bool { return a > b-2 && a < b+2 }
	return (near(p.Width, 595.3) && near(p.Height, 841.9)) || (near(p.Width, 841.9) && near(p.Height, 595.3))
}

// pagesWith returns the pages whose text contains s (white space ignored).
func pagesWith(pages []printedPage, s string) []int {
	var out []int
	for _, p := range pages {
		if strings.Contains(squeeze(p.Text), squeeze(s)) {
			out = append(out, p.N)
		}
	}
	return out
}

func squeeze(s string) string { return strings.Join(strings.Fields(s), "") }

// sheetPages splits a printed workbook into its sheets by the page header, which
// names the sheet on every page.
func sheetPages(pages []printedPage, sheets []string) map[string][]printedPage {
	out := map[string][]printedPage{}
	for _, p := range pages {
		head := strings.SplitN(strings.TrimLeft(p.Text, "\n "), "\n", 2)[0]
		for _, s := range sheets {
			if strings.HasPrefix(strings.TrimSpace(head), s) {
				out[s] = append(out[s], p)
			}
		}
	}
	return out
}

func downloadTo(t *testing.T, client *http.Client, url, path string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestWorkbooksPrintOnA4 prints the committee workbook (of a revised draft, so with
// its 修改对照表 sheet) and the published report's workbook with LibreOffice and checks every page: A4, each sheet one page wide (every
// column header on every page, which also shows the header row repeats), the 汇总
// title on one page, the per-article table whole on one page with all its columns,
// and the chart on one page.
func TestWorkbooksPrintOnA4(t *testing.T) {
	if testing.Short() {
		t.Skip("runs LibreOffice")
	}
	needTool(t, "soffice", "pdftotext", "pdfinfo")
	t.Parallel() // mostly LibreOffice in a child process
	e := newTestEnv(t, "")
	ctx := context.Background()
	d, err := e.app.loadDraft(ctx, seedSlug)
	if err != nil {
		t.Fatal(err)
	}
	officer := store.Actor{Username: "chensf"}
	if err := demoComments(ctx, e.store, officer, d.C, 7, 400, d.C.OpensAt, d.C.ClosesAt, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.PublishFeedback(ctx, officer, d.C.ID, d.C.ClosesAt.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// The 修改稿, so the committee workbook has its 修改对照表 sheet too.
	if _, err := e.revise("-consultation", seedSlug); err != nil {
		t.Fatal(err)
	}
	e.app.gen.Add(1)
	client := e.loginAs("wei", store.RoleCommittee)
	dir := t.TempDir()
	committee, report := filepath.Join(dir, "committee.xlsx"), filepath.Join(dir, "report.xlsx")
	downloadTo(t, client, e.srv.URL+exportPath, committee)
	downloadTo(t, client, e.srv.URL+"/c/"+seedSlug+"/feedback.xlsx", report)

	convertToPDF(t, committee, report)
	pages := printedPages(t, committee)
	for _, p := range pages {
		if !isA4(p) {
			t.Errorf("committee workbook page %d is %.0f × %.0f pt, not A4", p.N, p.Width, p.Height)
		}
	}
	sheets := []string{sheetSummary, sheetDetail, sheetFeedback, sheetChanges}
	bySheet := sheetPages(pages, sheets)
	for _, s := range sheets {
		t.Logf("%s: %d pages", s, len(bySheet[s]))
		if len(bySheet[s]) == 0 {
			t.Errorf("sheet %s printed no page", s)
		}
	}
	if len(bySheet[sheetSummary])+len(bySheet[sheetDetail])+len(bySheet[sheetFeedback])+len(bySheet[sheetChanges]) != len(pages) {
		t.Errorf("%d pages, not all with a sheet's page header", len(pages))
	}
	// One page wide and header rows repeated: every page of a table sheet carries its
	// whole header row.
	for _, l := range []sheetLayout{detailLayout, feedbackLayout, {Name: sheetChanges, Header: changesHeader}} {
		for _, p := range bySheet[l.Name] {
			for _, h := range l.Header {
				if !strings.Contains(squeeze(p.Text), squeeze(h)) {
					t.Errorf("%s page %d lacks column %q: not one page wide or header not repeated", l.Name, p.N, h)
					break
				}
			}
		}
	}
	sum := bySheet[sheetSummary]
	title := "《" + strings.ReplaceAll(d.C.Title, "\n", "") + "》征求意见汇总"
	if got := pagesWith(sum, title); len(got) == 0 {
		t.Errorf("汇总's title is not whole on any page")
	}
	// Per revision, the per-article table (header and every article) on one page of its
	// own, and its chart on the next: its title drawn on exactly one page, with the last
	// article's bar label below it on that page (the chart is not cut).
	pdf := strings.TrimSuffix(committee, ".xlsx") + ".pdf"
	for rev, name := range map[int]string{1: "(第一稿)", 2: "(修改稿)"} {
		secs, err := e.store.RevisionSections(ctx, d.C.ID, rev)
		if err != nil {
			t.Fatal(err)
		}
		table := pagesWith(sum, "按条款"+name)
		if len(table) != 1 || len(pagesWith(pagesOf(sum, table[0]), "条款 标题 意见数 采纳 部分采纳 不予采纳 待处理")) != 1 {
			t.Errorf("the per-article table %s with all its columns is on pages %v", name, table)
			continue
		}
		for _, s := range secs {
			if s.Kind == "article" && len(pagesWith(pagesOf(sum, table[0]), exportShort(s))) == 0 {
				t.Errorf("article %s of %s is not on the table's page %d", s.Anchor, name, table[0])
			}
		}
		var chartPages []int
		for _, p := range sum {
			words := visibleWords(t, pdf, p.N)
			// pdftotext splits the title 各条款意见数(第一稿) into words at the brackets.
			revWord := strings.Trim(name, "()")
			if title := findWord(words, "各条款意见数"); title != nil && slices.ContainsFunc(words, func(w pdfWord) bool { return w.Text == revWord }) {
				chartPages = append(chartPages, p.N)
				if last := findWord(words, "二十三"); last == nil || last.Y0 < title.Y1 || p.N == table[0] {
					t.Errorf("page %d: the chart %s is cut or shares the table's page", p.N, name)
				}
			}
		}
		if len(chartPages) != 1 {
			t.Errorf("the chart %s is drawn on pages %v, want one", name, chartPages)
		}
	}
	if t.Failed() {
		for _, p := range sum {
			t.Logf("汇总 page %d:\n%s", p.N, p.Text)
		}
	}

	rpages := printedPages(t, report)
	for _, p := range rpages {
		if !isA4(p) {
			t.Errorf("report workbook page %d is %.0f × %.0f pt, not A4", p.N, p.Width, p.Height)
		}
		for _, h := range reportHeader {
			if !strings.Contains(squeeze(p.Text), squeeze(h)) {
				t.Errorf("report page %d lacks column %q", p.N, h)
				break
			}
		}
	}
	if got := pagesWith(rpages, "关于《"+strings.ReplaceAll(d.C.Title, "\n", "")+"》公开征求意见采纳情况汇总表"); len(got) == 0 || got[0] != 1 {
		t.Errorf("the report's title is whole on pages %v, want page 1", got)
	}
	t.Logf("report workbook: %d pages", len(rpages))
}

func pagesOf(pages []printedPage, n int) []printedPage {
	for _, p := range pages {
		if p.N == n {
			return []printedPage{p}
		}
	}
	return nil
}

// exportShort is the article's short label as the 汇总 table shows it.
func exportShort(s store.Section) string { return fmt.Sprint(s.Label) }
