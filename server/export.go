package main

import (
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	exportsheet "consult/server/export_sheet"
	"consult/store"
)

// The committee workbook: GET /admin/c/{slug}/export.xlsx, optionally with the
// queue's filter parameters (section, status, identity, channel, from, to,
// has_response, group, tag, q, sort; collapse=1 lists one comment per duplicate
// group). Its sheets:
//
//   - 汇总: the consultation, totals by status, identity and channel, the share
//     triaged, and a table per section in document order with a bar chart;
//   - 意见明细: one row per comment, every field an officer sees;
//   - 意见采纳情况汇总表: the standard feedback table, section by section, with
//     campaign copies folded into one row with their count.
//
// The two long sheets are written by excelize's StreamWriter (rows go to a temporary
// file, not memory) from one read snapshot (store.ExportReader), each with a reader
// goroutine feeding rows to a writer goroutine, the second sheet starting once the
// first has spilled to disk; the archive is then deflated on every core straight
// into the response (exportsheet.ZipWriter). Memory stays flat whatever the number
// of comments, the download is recorded in the audit log when the last byte is out.

const (
	sheetSummary  = "汇总"
	sheetDetail   = "意见明细"
	sheetFeedback = "意见采纳情况汇总表"
	xlsxType      = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// colKind is how a column's cells look: plain, wrapped long text, or date-times.
type colKind int

const (
	plainCol colKind = iota
	wrapCol
	dateCol
)

// sheetLayout is a long sheet's columns: header, widths (in characters) and the
// columns (1-based) that are not plain. The headers are a stable layout: people
// build formulas and macros on these columns.
type sheetLayout struct {
	Name   string
	Header []string
	Widths []float64
	Kinds  map[int]colKind
}

var (
	detailLayout = sheetLayout{Name: sheetDetail,
		Header: []string{"序号", "受理编号", "提交时间", "章", "条款", "条款标题", "意见内容", "提交人", "身份", "单位",
			"联系电话", "电子邮箱", "渠道", "处理状态", "处理意见/理由", "重复组", "标签", "处理人", "处理时间",
			// Routing to the responsible units (交办) and the revision, appended so earlier
			// columns keep their places.
			"承办单位", "交办状态", "办理期限", "承办单位拟处理意见", "稿次"},
		Widths: []float64{7, 17, 17, 20, 11, 20, 60, 10, 9, 18, 14, 22, 10, 10, 40, 16, 12, 10, 17, 12, 12, 17, 40, 10},
		Kinds:  map[int]colKind{3: dateCol, 7: wrapCol, 10: wrapCol, 15: wrapCol, 19: dateCol, 22: dateCol, 23: wrapCol},
	}
	feedbackLayout = sheetLayout{Name: sheetFeedback,
		Header: []string{"序号", "条款", "提出者", "意见内容", "意见条数", "采纳情况", "理由"},
		Widths: []float64{7, 24, 18, 60, 9, 14, 40},
		Kinds:  map[int]colKind{2: wrapCol, 3: wrapCol, 4: wrapCol, 6: wrapCol, 7: wrapCol},
	}
	detailHeader, feedbackHeader = detailLayout.Header, feedbackLayout.Header
)

// exportRoutes adds the workbook download, for every workspace role.
func (a *app) exportRoutes(g *echo.Group) {
	g.GET("/c/:slug/export.xlsx", a.exportXLSX, a.requireRole(allRoles...))
	g.GET("/c/:slug/changes.xlsx", a.changesXLSX, a.requireRole(anyRole...))
}

// exportUnmasked reports whether a role's workbooks show phone numbers and e-mail
// addresses in full (export.unmasked_roles; by default admin and officer); for the
// others they are masked as on the comment page.
func (a *app) exportUnmasked(role string) bool {
	return a.cfg.ExportUnmasked(role)
}

// exportMemoryLimit is the memory the Go runtime keeps to while a workbook is made.
// excelize's stream writers each keep a 20 MB buffer until the workbook is closed
// (rows collect there until 16 MB, then go to a temporary file, and the emptied
// buffer is kept; excelize 2.11 has no setting for it), so the live heap is about
// 45 MB, and the collector's default pacing lets the heap grow to twice that before
// it runs: the process reached 140 MB for 100,000 comments. Under this soft limit it
// collects sooner instead (about 250 collections rather than 50, some 1 s of CPU)
// and the process peaks near 90 MB (bench/export.txt); 56 MB cost 3 s more CPU for
// 2 MB less. The limit only ever lowers one already set (GOMEMLIMIT) and is restored
// when the export ends; exports run one at a time.
const exportMemoryLimit = 64 << 20

// exportSlot lets one workbook be built at a time: each holds a read connection and
// a few tens of MB while it runs, and a second one waits its turn.
var exportSlot = make(chan struct{}, 1)

// exportXLSX streams the workbook and records the download in the audit log.
func (a *app) exportXLSX(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := a.loadDraft(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	f, kept := queueFilter(d, c.QueryParam)
	// A department downloads its own unit's items only.
	a.scopeFilter(c, &f)
	f.Collapse = c.QueryParam("collapse") == "1" // the queue collapses by default; a workbook does not
	if c.QueryParam("sort") == "" {
		f.Sort = "document" // a committee reads comments article by article, in the draft's order
	}
	kept.Del("collapse")
	if f.Collapse {
		kept.Set("collapse", "1")
	}
	select {
	case exportSlot <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-exportSlot }()
	if prev := debug.SetMemoryLimit(-1); prev > exportMemoryLimit {
		debug.SetMemoryLimit(exportMemoryLimit)
		defer debug.SetMemoryLimit(prev)
	}

	user := sessionFrom(c).User
	now := a.now()
	wb, err := buildWorkbook(ctx, a.store, exportJob{D: d, Filter: f, User: user, Unmasked: a.exportUnmasked(user.Role), Now: now})
	if errors.Is(err, store.ErrShortQuery) {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "搜索词至少需要两个字。")
	}
	if err != nil {
		return err
	}
	defer wb.Close()

	res := c.Response()
	// The workbook is a zip archive already: skip the gzip middleware's writer.
	for {
		u, ok := res.Writer.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		res.Writer = u.Unwrap()
	}
	// A large workbook on a slow line takes longer than the server's write timeout.
	_ = http.NewResponseController(res.Writer).SetWriteDeadline(time.Now().Add(time.Hour))
	name, fallback := exportFileName(d, f, now)
	res.Header().Set(echo.HeaderContentType, xlsxType)
	res.Header().Set(echo.HeaderContentDisposition, exportsheet.ContentDisposition(name, fallback))
	res.WriteHeader(http.StatusOK)
	sent, werr := wb.WriteTo(res)

	filter := map[string]string{}
	for k := range kept {
		filter[k] = kept.Get(k)
	}
	entry := store.AuditEntry{Action: "export", ConsultationID: d.C.ID, Target: "consultation:" + d.C.Slug,
		After: map[string]any{"format": "xlsx", "filter": filter, "rows": wb.DetailRows, "comments": wb.Comments,
			"shortened": wb.Shortened, "masked": !a.exportUnmasked(user.Role), "bytes": sent, "complete": werr == nil}}
	if err := a.store.Audit(context.WithoutCancel(ctx), a.actor(c), entry); err != nil {
		a.log.Error("audit export", "err", err)
	}
	if werr != nil {
		// Headers and part of the archive are out: end the connection without the
		// final chunk, so the browser reports a failed download instead of saving a
		// truncated file.
		a.log.Warn("export stream failed", "slug", d.C.Slug, "bytes", sent, "err", werr)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// exportFileName is the download's name, in Chinese, and its ASCII fallback:
// the consultation's title, what the file is and the day it was made.
func exportFileName(d *draftData, f store.QueueFilter, now time.Time) (string, string) {
	day := now.In(beijing).Format("20060102")
	title := exportsheet.FileNamePart(strings.ReplaceAll(d.C.Title, "\n", ""), 60)
	if title == "" {
		title = d.C.Slug
	}
	what := "征求意见汇总"
	if filtered(f) {
		what += "(筛选)"
	}
	return title + "_" + what + "_" + day + ".xlsx", d.C.Slug + "-comments-" + day + ".xlsx"
}

// exportJob is what a workbook is built from.
type exportJob struct {
	D        *draftData
	Filter   store.QueueFilter
	User     store.User
	Unmasked bool
	Now      time.Time
}

// workbook is a built workbook waiting to be written, with what it holds.
type workbook struct {
	f          *excelize.File
	DetailRows int // rows of 意见明细
	Comments   int // comments the filter matched (copies included)
	Shortened  int // cells cut to the spreadsheet limit, with a note
}

// Close removes the workbook's temporary files.
func (wb *workbook) Close() error { return wb.f.Close() }

// WriteTo writes the archive to w, deflating on every core, and returns the bytes
// written. excelize's own WriteTo builds the whole archive in a bytes.Buffer first;
// its ZipWriter hook is handed that buffer, and the writer returned here ignores it
// and writes to w instead, so the buffer stays empty and memory stays flat.
func (wb *workbook) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	zw := exportsheet.NewZipWriter(cw, flate.BestSpeed, runtime.GOMAXPROCS(0))
	wb.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zw })
	buffered, err := wb.f.WriteTo(cw)
	zw.Abort() // stops the workers if excelize gave up half way; a no-op after Close
	if err == nil && buffered != 0 {
		err = fmt.Errorf("export: excelize wrote %d bytes around the zip writer", buffered)
	}
	return cw.n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// exportSection is how a section (or "general") reads in the workbook.
type exportSection struct {
	Revision int // the revision of the draft it belongs to
	Anchor   string
	Chapter  string // 章: the enclosing chapter, label and heading
	Label    string // 条款
	Heading  string // 条款标题
	Short    string // the summary table's and chart's label
	Title    string // the summary table's heading column
	Full     string // the feedback table's 条款 column
	// OwnShort and OwnTitle are Short and Title without the revision's name, for the
	// summary's per-revision tables and charts (whose heading names the revision).
	OwnShort, OwnTitle string
}

// exportKey is the key of a revision's section in the builder's maps: the anchor for
// the first revision (so a draft never revised reads as it always did), else the
// anchor qualified by the revision, as the same anchor names another text there.
func exportKey(rev int, anchor string) string {
	if rev <= 1 {
		return anchor
	}
	return "r" + strconv.Itoa(rev) + ":" + anchor
}

// exportSections lists "general" and every section in document order, by key too;
// a revised draft's revisions one after another, each section named with its revision.
func exportSections(d *draftData) ([]*exportSection, map[string]*exportSection) {
	var list []*exportSection
	for _, rev := range d.RevisionNumbers() {
		list = append(list, revisionExportSections(d, rev)...)
	}
	by := make(map[string]*exportSection, len(list))
	for _, s := range list {
		by[exportKey(s.Revision, s.Anchor)] = s
	}
	return list, by
}

// revisionExportSections lists "general" and the sections of one revision.
func revisionExportSections(d *draftData, rev int) []*exportSection {
	secs := d.SectionsOf(rev)
	general := &exportSection{Anchor: "general", Label: "全文/总体意见", Short: "全文", Title: "总体意见", Full: "全文/总体意见"}
	list := []*exportSection{general}
	for i := range secs {
		s := &secs[i]
		es := &exportSection{Anchor: s.Anchor, Short: s.Label, Title: s.Heading}
		switch s.Kind {
		case "preamble":
			es.Label, es.Short, es.Title, es.Full = "前言", "前言", "前言", "前言"
		case "chapter":
			es.Chapter, es.Label = s.Label+s.Heading, "本章整体"
			es.Title = s.Heading + "(本章整体)"
			es.Full = s.Label + s.Heading + "(本章整体)"
		default:
			es.Label, es.Heading, es.Full = s.Label, s.Heading, s.Label+s.Heading
			if s.Parent >= 0 && s.Parent < len(secs) {
				p := &secs[s.Parent]
				es.Chapter = p.Label + p.Heading
			}
		}
		if es.Short == "" {
			es.Short = excerpt(s.Heading, 8)
		}
		list = append(list, es)
	}
	for _, es := range list {
		es.Revision = rev
		es.OwnShort, es.OwnTitle = es.Short, es.Title
		if d.Revised() {
			name := store.RevisionName(rev)
			es.Short, es.Full, es.Title = name+" "+es.Short, "〔"+name+"〕"+es.Full, es.Title+"("+name+")"
		}
	}
	return list
}

// exportTotals counts the comments a filter matched, every copy included.
type exportTotals struct {
	Total      int
	ByStatus   map[string]int
	ByIdentity map[string]int
	ByChannel  map[string]int
	BySection  map[string]map[string]int // anchor → status → count
	Groups     int                       // duplicate groups with two or more comments on one section
	Copies     int                       // comments folded into another one's row
}

func (t *exportTotals) add(c *store.Comment) {
	t.Total++
	t.ByStatus[c.Status]++
	id := c.Identity
	if id == "" {
		id = "未填写"
	}
	t.ByIdentity[id]++
	t.ByChannel[c.Channel]++
	key := exportKey(c.DraftRevision, c.SectionAnchor)
	m := t.BySection[key]
	if m == nil {
		m = map[string]int{}
		t.BySection[key] = m
	}
	m[c.Status]++
}

// builder holds what the sheets share while they are written.
type builder struct {
	job      exportJob
	x        *store.ExportReader
	f        *excelize.File
	sections []*exportSection
	byAnchor map[string]*exportSection
	styles   exportStyles

	details []string // 意见明细 and its continuation sheets (exportoverflow.go)

	mu      sync.Mutex // guards nShort and workbook-wide changes made from the sheet goroutines
	nShort  int
	spilled func() // called once 意见明细 is past excelize's in-memory chunk
}

type exportStyles struct {
	Header, Top, Wrap, Date, Title, Label, Percent, Bold int
}

// text is a cell for text someone typed: cleaned of what XML cannot carry, never
// longer than a cell holds, and nil (no cell at all) when empty. Strings are always
// written as inline strings, never formulas, whatever they start with.
func (b *builder) text(s string) any {
	if s == "" {
		return nil
	}
	t, cut := exportsheet.Text(s)
	if cut {
		b.mu.Lock()
		b.nShort++
		b.mu.Unlock()
	}
	return t
}

// buildWorkbook reads the comments and lays out the workbook; the long sheets wait in
// temporary files until WriteTo.
func buildWorkbook(ctx context.Context, st *store.Store, job exportJob) (wb *workbook, err error) {
	x, err := st.BeginExport(ctx)
	if err != nil {
		return nil, err
	}
	defer x.Close()
	f := excelize.NewFile()
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	b := &builder{job: job, x: x, f: f}
	b.sections, b.byAnchor = exportSections(job.D)
	// Comments on anchors the draft no longer has (none, unless a database was edited
	// by hand) come last rather than not at all.
	anchors, err := x.Anchors(ctx, job.Filter.ConsultationID)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, s := range b.sections {
		known[s.Anchor] = true
	}
	for _, a := range anchors {
		if !known[a] {
			s := &exportSection{Revision: 1, Anchor: a, Label: a, Short: a, Title: a, Full: a}
			b.byAnchor[a] = s
			b.sections = append(b.sections, s)
		}
	}
	if b.details, err = b.planDetailSheets(ctx); err != nil {
		return nil, err
	}
	if err := b.setup(); err != nil {
		return nil, err
	}
	detail := make([]*excelize.StreamWriter, len(b.details))
	for i, name := range b.details {
		if detail[i], err = f.NewStreamWriter(name); err != nil {
			return nil, err
		}
	}
	feedback, err := f.NewStreamWriter(sheetFeedback)
	if err != nil {
		return nil, err
	}
	// The two long sheets are independent: write them side by side. The first
	// failure stops both, and is the one reported.
	var (
		wg         sync.WaitGroup
		detailRows int
		totals     *exportTotals
		failed     sync.Once
		firstErr   error
	)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fail := func(err error) {
		if err != nil {
			failed.Do(func() { firstErr = err; cancel() })
		}
	}
	// The feedback sheet starts once 意见明细's rows have spilled to disk: excelize
	// keeps a stream's rows in a buffer that doubles up to 20 MB before it spills, and
	// two buffers doubling at the same moment took the process over 100 MB.
	spilled := make(chan struct{})
	var spill sync.Once
	b.spilled = func() { spill.Do(func() { close(spilled) }) }
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer b.spilled()
		var err error
		detailRows, err = b.writeDetail(sctx, detail)
		fail(err)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-spilled
		var err error
		totals, err = b.writeFeedback(sctx, feedback)
		fail(err)
	}()
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := b.writeSummary(totals); err != nil {
		return nil, err
	}
	if err := addChangesSheet(ctx, st, f, job.D.C); err != nil { // server/changes_xlsx.go
		return nil, err
	}
	f.SetActiveSheet(0)
	return &workbook{f: f, DetailRows: detailRows, Comments: totals.Total, Shortened: b.nShort}, nil
}

// setup creates the sheets, styles and everything the stream writers need before
// their first row: column widths and styles, frozen header, print layout.
func (b *builder) setup() error {
	f := b.f
	if err := f.SetSheetName("Sheet1", sheetSummary); err != nil {
		return err
	}
	for _, s := range append(slices.Clone(b.details), sheetFeedback) {
		if _, err := f.NewSheet(s); err != nil {
			return err
		}
	}
	font := func(bold bool, size float64) *excelize.Font {
		return &excelize.Font{Bold: bold, Size: size, Family: "等线"}
	}
	border := []excelize.Border{{Type: "left", Color: "A6A6A6", Style: 1}, {Type: "right", Color: "A6A6A6", Style: 1},
		{Type: "top", Color: "A6A6A6", Style: 1}, {Type: "bottom", Color: "A6A6A6", Style: 1}}
	dateFmt, pctFmt := "yyyy-mm-dd hh:mm", "0.0%"
	specs := []struct {
		id *int
		s  *excelize.Style
	}{
		{&b.styles.Header, &excelize.Style{Font: font(true, 11), Border: border,
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&b.styles.Top, &excelize.Style{Font: font(false, 11), Alignment: &excelize.Alignment{Vertical: "top"}}},
		{&b.styles.Wrap, &excelize.Style{Font: font(false, 11), Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}},
		{&b.styles.Date, &excelize.Style{Font: font(false, 11), CustomNumFmt: &dateFmt, Alignment: &excelize.Alignment{Vertical: "top"}}},
		{&b.styles.Title, &excelize.Style{Font: font(true, 16), Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}}},
		{&b.styles.Label, &excelize.Style{Font: font(true, 11), Alignment: &excelize.Alignment{Vertical: "top"}}},
		{&b.styles.Percent, &excelize.Style{Font: font(false, 11), CustomNumFmt: &pctFmt}},
		{&b.styles.Bold, &excelize.Style{Font: font(true, 12)}},
	}
	for _, sp := range specs {
		id, err := f.NewStyle(sp.s)
		if err != nil {
			return err
		}
		*sp.id = id
	}
	// Print: A4, every column on the page width, the header row on every page, page
	// numbers in the footer; the tables landscape, 汇总 portrait. Fit-to-page is a
	// sheetPr flag, which a stream writer writes when it is created, so it is set first.
	type printed struct{ name, orientation string }
	sheets := []printed{{sheetFeedback, "landscape"}, {sheetSummary, "portrait"}}
	for _, d := range b.details {
		sheets = append(sheets, printed{d, "landscape"})
	}
	for _, s := range sheets {
		if err := b.printLayout(s.name, paperA4, s.orientation, true); err != nil {
			return err
		}
	}
	return nil
}

// paperA4 is A4 in the spreadsheet's paper-size codes.
const paperA4 = 9

func (b *builder) printLayout(sheet string, paper int, orientation string, titles bool) error {
	fit := true
	if err := b.f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	one, zero := 1, 0
	if err := b.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &paper, Orientation: &orientation,
		FitToWidth: &one, FitToHeight: &zero}); err != nil {
		return err
	}
	m, tb, hf := 0.4, 0.6, 0.25 // inches; the page header and footer sit in the top and bottom margins
	if err := b.f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Left: &m, Right: &m, Top: &tb, Bottom: &tb, Header: &hf, Footer: &hf}); err != nil {
		return err
	}
	if err := b.f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{
		OddFooter: "&C第 &P 页,共 &N 页", OddHeader: "&L" + sheet + "&R" + excelQuote(strings.ReplaceAll(b.job.D.C.Title, "\n", "")),
	}); err != nil {
		return err
	}
	if titles {
		return b.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + sheet + "'!$1:$1", Scope: sheet})
	}
	return nil
}

// excelQuote escapes & (a header/footer code) in text shown in a page header.
func excelQuote(s string) string { return strings.ReplaceAll(s, "&", "&&") }

// startSheet sets a stream sheet's columns and frozen header, then writes the header.
func (b *builder) startSheet(sw *excelize.StreamWriter, l sheetLayout) error {
	for i, w := range l.Widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
		style := b.styles.Top
		switch l.Kinds[i+1] {
		case wrapCol:
			style = b.styles.Wrap
		case dateCol:
			style = b.styles.Date
		}
		if err := sw.SetColStyle(i+1, i+1, style); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return err
	}
	row := make([]any, len(l.Header))
	for i, h := range l.Header {
		row[i] = h
	}
	return sw.SetRow("A1", row, excelize.RowOpts{StyleID: b.styles.Header, Height: 22})
}

// finishSheet adds the autofilter over the header and rows and ends the stream.
func (b *builder) finishSheet(sw *excelize.StreamWriter, l sheetLayout, rows int) error {
	last, err := excelize.CoordinatesToCellName(len(l.Header), max(rows, 1)+1)
	if err != nil {
		return err
	}
	b.mu.Lock() // the filter's defined name is the workbook's
	err = b.f.AutoFilter(l.Name, "A1:"+last, nil)
	b.mu.Unlock()
	if err != nil {
		return err
	}
	return sw.Flush()
}

// writeDetail writes 意见明细: every comment the filter matches, in its order,
// continuing on the next detail sheet when one is full (exportoverflow.go).
func (b *builder) writeDetail(ctx context.Context, sws []*excelize.StreamWriter) (int, error) {
	layout := func(i int) sheetLayout {
		l := detailLayout
		l.Name = b.details[i]
		return l
	}
	cur, inSheet := 0, 0
	if err := b.startSheet(sws[0], layout(0)); err != nil {
		return 0, err
	}
	sizes, err := b.x.GroupSizes(ctx, b.job.Filter.ConsultationID)
	if err != nil {
		return 0, err
	}
	// With nothing routed the 交办 columns stay empty and no row looks anything up.
	routed, err := b.x.AnyRouted(ctx)
	if err != nil {
		return 0, err
	}
	write := sheetWriter(sws[0], b.spilled)
	n := 0
	err = streamRows(ctx, len(detailHeader), func(ctx context.Context, next func() ([]any, error)) error {
		return b.x.EachComment(ctx, b.job.Filter, func(c *store.Comment) error {
			row, err := next()
			if err != nil {
				return err
			}
			n++
			b.detailRow(row, n, c, sizes[c.GroupID])
			var r *store.Routing
			if routed {
				if r, err = b.x.RoutingOf(ctx, c.ID); err != nil {
					return err
				}
			}
			b.routingCells(row, r, routed)
			return nil
		})
	}, func(row []any) error {
		if inSheet == detailSheetRows {
			if cur+1 == len(sws) { // more rows than planned: never write a sheet Excel refuses
				return errors.New("export: more comments than the planned detail sheets hold")
			}
			if err := b.finishSheet(sws[cur], layout(cur), inSheet); err != nil {
				return err
			}
			cur, inSheet = cur+1, 0
			if err := b.startSheet(sws[cur], layout(cur)); err != nil {
				return err
			}
			write = sheetWriter(sws[cur], nil)
		}
		inSheet++
		return write(row)
	})
	if err != nil {
		return n, err
	}
	if err := b.finishSheet(sws[cur], layout(cur), inSheet); err != nil {
		return n, err
	}
	for cur++; cur < len(sws); cur++ { // planned but not needed: a header only
		if err := b.startSheet(sws[cur], layout(cur)); err != nil {
			return n, err
		}
		if err := b.finishSheet(sws[cur], layout(cur), 0); err != nil {
			return n, err
		}
	}
	return n, nil
}

// detailRow fills row with the cells of the n-th comment of 意见明细; groupSize is
// the size of its duplicate group.
func (b *builder) detailRow(row []any, n int, c *store.Comment, groupSize int) {
	sec := b.byAnchor[exportKey(c.DraftRevision, c.SectionAnchor)]
	if sec == nil {
		sec = &exportSection{Label: c.SectionAnchor}
	}
	phone, email := c.Phone, c.Email
	if !b.job.Unmasked {
		phone, email = maskContact(phone), maskContact(email)
	}
	channel := store.ChannelLabels[c.Channel]
	if channel == "" {
		channel = c.Channel
	}
	if c.Late {
		channel += "(逾期收到)"
	}
	var group, decided any
	if groupSize > 1 {
		group = "第 " + strconv.FormatInt(c.GroupID, 10) + " 组(共 " + strconv.Itoa(groupSize) + " 条)"
	}
	if !c.DecidedAt.IsZero() {
		decided = c.DecidedAt.In(beijing) // a number with a date format, in Beijing time
	}
	row[0] = n
	row[1] = b.text(c.Tracking)
	row[2] = c.CreatedAt.In(beijing)
	row[3] = b.text(sec.Chapter)
	row[4] = b.text(sec.Label)
	row[5] = b.text(sec.Heading)
	row[6] = b.text(c.Body)
	row[7] = b.text(c.Name)
	row[8] = b.text(c.Identity)
	row[9] = b.text(c.Organization)
	row[10] = b.text(phone)
	row[11] = b.text(email)
	row[12] = b.text(channel)
	row[13] = b.text(statusText(c.Status))
	row[14] = b.text(c.Response)
	row[15] = group
	row[16] = b.text(c.Tags)
	row[17] = b.text(c.DecidedBy)
	row[18] = decided
	row[23] = store.RevisionName(c.DraftRevision)
}

// routingCells fills the 交办 columns of a 意见明细 row: unit, state (with 逾期 when
// the unit's answer is late at the export's time), due date, the unit's proposal.
// When nothing in the consultation is routed (anyRouted false) they stay empty.
func (b *builder) routingCells(row []any, r *store.Routing, anyRouted bool) {
	const first = 19
	row[first], row[first+1], row[first+2], row[first+3] = nil, nil, nil, nil
	if r == nil {
		if anyRouted {
			row[first+1] = b.text(store.RouteLabels[store.RouteNone])
		}
		return
	}
	state := store.RouteLabels[r.State]
	if r.Overdue(b.job.Now) {
		state += "(逾期)"
	}
	row[first] = b.text(r.Unit)
	row[first+1] = b.text(state)
	if !r.DueAt.IsZero() {
		row[first+2] = r.DueAt.In(beijing)
	}
	if r.ProposedStatus != "" {
		p := statusText(r.ProposedStatus)
		if r.ProposedResponse != "" {
			p += ":" + r.ProposedResponse
		}
		row[first+3] = b.text(p)
	}
}

func statusText(s string) string {
	if l := store.StatusLabels[s]; l != "" {
		return l
	}
	return s
}

// submitter is who the feedback table says made a comment: the organisation for
// those who wrote for one, the name only for people who agreed to its publication
// (the table is made to be published), otherwise their identity.
func submitter(c *store.Comment) string {
	name := ""
	if c.PublishName {
		name = c.Name
	}
	org := ""
	if c.Identity != "个人" {
		org = c.Organization
	}
	switch {
	case org != "" && name != "":
		return org + " " + name
	case org != "":
		return org
	case name != "":
		return name
	case c.Identity != "":
		return c.Identity
	}
	return "匿名"
}

// writeFeedback writes 意见采纳情况汇总表 section by section in document order (each
// section's comments in the order received, a duplicate group's copies folded into
// its first comment's row) and counts every comment for the summary.
func (b *builder) writeFeedback(ctx context.Context, sw *excelize.StreamWriter) (*exportTotals, error) {
	t := &exportTotals{ByStatus: map[string]int{}, ByIdentity: map[string]int{}, ByChannel: map[string]int{},
		BySection: map[string]map[string]int{}}
	if err := b.startSheet(sw, feedbackLayout); err != nil {
		return nil, err
	}
	f := b.job.Filter
	f.Collapse, f.Sort = false, "old"
	tallies, err := b.x.GroupTallies(ctx, f)
	if err != nil {
		return nil, err
	}
	for _, g := range tallies {
		t.Groups++
		t.Copies += g.Count - 1
	}
	order := make([]*exportSection, 0, len(b.sections))
	for _, s := range b.sections {
		if (f.Section == "" || f.Section == s.Anchor) && (f.Revision == 0 || f.Revision == s.Revision) {
			order = append(order, s)
		}
	}
	revised := b.job.D.Revised()
	n := 0
	err = streamRows(ctx, len(feedbackHeader), func(ctx context.Context, next func() ([]any, error)) error {
		for _, sec := range order {
			f.Section = sec.Anchor
			if revised {
				f.Revision = sec.Revision
			}
			err := b.x.EachComment(ctx, f, func(c *store.Comment) error {
				t.add(c)
				g := tallies[store.GroupKey{Anchor: c.SectionAnchor, GroupID: c.GroupID}]
				if g != nil && c.ID != g.First {
					return nil // a copy, counted on its group's row
				}
				row, err := next()
				if err != nil {
					return err
				}
				n++
				b.feedbackRow(row, n, sec, c, g)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	}, sheetWriter(sw, nil))
	if err != nil {
		return nil, err
	}
	return t, b.finishSheet(sw, feedbackLayout, n)
}

// sheetWriter writes rows one after another below a stream sheet's header. If
// spilled is not nil it is called once the rows written are sure to exceed
// excelize's in-memory chunk (StreamChunkSize): from then on the sheet lives in a
// temporary file and its buffer no longer grows.
func sheetWriter(sw *excelize.StreamWriter, spilled func()) func([]any) error {
	n, size := 1, 0
	return func(row []any) error {
		n++
		if err := sw.SetRow("A"+strconv.Itoa(n), row); err != nil {
			return err
		}
		if spilled != nil && size < excelize.StreamChunkSize {
			for _, v := range row {
				if v != nil {
					size += 25 // the least XML a cell takes
				}
				if s, ok := v.(string); ok {
					size += len(s)
				}
			}
			if size >= excelize.StreamChunkSize {
				spilled()
			}
		}
		return nil
	}
}

// streamRows runs produce, which reads comments and fills rows, and write, which
// hands them to excelize, on two goroutines: reading (SQLite, cleaning text) and
// writing (excelize's XML) then take a core each. Rows travel in batches, reused,
// so a few hundred rows are in flight at most. produce gets each row to fill from
// next; a failure on either side stops both.
func streamRows(ctx context.Context, width int, produce func(ctx context.Context, next func() ([]any, error)) error, write func([]any) error) error {
	const batchRows, batches = 128, 4
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	full, free := make(chan [][]any, batches), make(chan [][]any, batches)
	for range batches {
		b := make([][]any, batchRows)
		for i := range b {
			b[i] = make([]any, width)
		}
		free <- b[:0]
	}
	var perr error
	go func() {
		defer close(full)
		var cur [][]any
		send := func() error {
			if len(cur) > 0 {
				select {
				case full <- cur:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			cur = nil
			return nil
		}
		next := func() ([]any, error) {
			if cur != nil && len(cur) == cap(cur) {
				if err := send(); err != nil {
					return nil, err
				}
			}
			if cur == nil {
				select {
				case cur = <-free:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			cur = cur[:len(cur)+1]
			row := cur[len(cur)-1]
			clear(row)
			return row, nil
		}
		perr = produce(ctx, next)
		if perr == nil {
			perr = send()
		}
	}()
	var werr error
	for batch := range full {
		for _, row := range batch {
			if werr != nil {
				break
			}
			if werr = write(row); werr != nil {
				cancel()
			}
		}
		free <- batch[:0]
	}
	if werr != nil {
		return werr
	}
	return perr
}

// feedbackRow fills row with the n-th row of 意见采纳情况汇总表: comment c on sec,
// standing for its group g's copies on that section when g is not nil.
func (b *builder) feedbackRow(row []any, n int, sec *exportSection, c *store.Comment, g *store.GroupTally) {
	who, count, status := submitter(c), 1, statusText(c.Status)
	if g != nil {
		who, count, status = who+"等", g.Count, groupStatus(g.ByStatus)
	}
	row[0] = n
	row[1] = b.text(sec.Full)
	row[2] = b.text(who)
	row[3] = b.text(c.Body)
	row[4] = count
	row[5] = status
	row[6] = b.text(c.Response)
}

// groupStatus describes the decisions on a group's comments: one label when they
// agree, else each status with its count ("采纳 12 条;待处理 3 条").
func groupStatus(by map[string]int) string {
	if len(by) == 1 {
		for s := range by {
			return statusText(s)
		}
	}
	var parts []string
	for _, s := range store.Statuses {
		if n := by[s]; n > 0 {
			parts = append(parts, statusText(s)+" "+strconv.Itoa(n)+" 条")
		}
	}
	var other []string
	for s, n := range by {
		if store.StatusLabels[s] == "" {
			other = append(other, s+" "+strconv.Itoa(n)+" 条")
		}
	}
	sort.Strings(other)
	return strings.Join(append(parts, other...), ";")
}

// filterText describes a filter in words, for the summary sheet.
func filterText(d *draftData, f store.QueueFilter) string {
	var parts []string
	if f.Revision != 0 {
		parts = append(parts, "稿次:"+store.RevisionName(f.Revision))
	}
	if f.Section != "" {
		_, by := exportSections(d)
		if s := by[exportKey(f.Revision, f.Section)]; s != nil {
			parts = append(parts, "条款:"+s.Full)
		}
	}
	if f.Status != "" {
		parts = append(parts, "处理状态:"+statusText(f.Status))
	}
	if f.Identity != "" {
		parts = append(parts, "身份:"+f.Identity)
	}
	if f.Channel != "" {
		parts = append(parts, "渠道:"+store.ChannelLabels[f.Channel])
	}
	if !f.From.IsZero() {
		parts = append(parts, "提交日期不早于 "+f.From.In(beijing).Format("2006-01-02"))
	}
	if !f.To.IsZero() {
		parts = append(parts, "提交日期不晚于 "+f.To.In(beijing).AddDate(0, 0, -1).Format("2006-01-02"))
	}
	switch f.HasResponse {
	case "yes":
		parts = append(parts, "已填写处理意见")
	case "no":
		parts = append(parts, "未填写处理意见")
	}
	if f.GroupID != 0 {
		parts = append(parts, "重复组:第 "+strconv.FormatInt(f.GroupID, 10)+" 组")
	}
	if f.Tag != "" {
		parts = append(parts, "标签:"+f.Tag)
	}
	if f.Q != "" {
		parts = append(parts, "包含:“"+f.Q+"”")
	}
	parts = append(parts, teamFilterText(f)...)
	if f.Collapse {
		parts = append(parts, "意见明细中相同或相似意见只列第一条")
	}
	switch f.Sort {
	case "document":
		parts = append(parts, "意见明细按条款顺序排列")
	case "old":
		parts = append(parts, "意见明细按提交时间从早到晚排列")
	case "group":
		parts = append(parts, "意见明细按重复组大小排列")
	default:
		parts = append(parts, "意见明细按提交时间从晚到早排列")
	}
	if !filtered(f) {
		parts = append([]string{"全部意见"}, parts...)
	}
	return strings.Join(parts, ";")
}

// filtered reports whether a filter leaves comments out (an order alone does not).
func filtered(f store.QueueFilter) bool {
	return f.Revision != 0 || f.Section != "" || f.Status != "" || f.Identity != "" || f.Channel != "" || !f.From.IsZero() ||
		!f.To.IsZero() || f.HasResponse != "" || f.GroupID != 0 || f.Tag != "" || f.Q != "" || f.Collapse ||
		f.Unit != "" || f.Route != "" || !f.OverdueAt.IsZero() || f.AssignedTo != ""
}

// writeSummary fills 汇总 (a small sheet, written cell by cell) from the totals.
func (b *builder) writeSummary(t *exportTotals) error {
	f, sh, st := b.f, sheetSummary, b.styles
	c := b.job.D.C
	set := func(cell string, v any, style int) error {
		if s, ok := v.(string); ok {
			text, _ := exportsheet.Text(s)
			if err := f.SetCellStr(sh, cell, text); err != nil {
				return err
			}
		} else if err := f.SetCellValue(sh, cell, v); err != nil {
			return err
		}
		if style != 0 {
			return f.SetCellStyle(sh, cell, cell, style)
		}
		return nil
	}
	for col, w := range map[string]float64{"A": 16, "B": 34, "C": 10, "D": 10, "E": 10, "F": 10, "G": 10} {
		if err := f.SetColWidth(sh, col, col, w); err != nil {
			return err
		}
	}
	title := strings.ReplaceAll(c.Title, "\n", "")
	if err := set("A1", "《"+title+"》征求意见汇总", st.Title); err != nil {
		return err
	}
	if err := f.MergeCell(sh, "A1", "G1"); err != nil {
		return err
	}
	if err := f.SetRowHeight(sh, 1, 42); err != nil {
		return err
	}
	contact := strings.TrimSpace(strings.Join(strings.Fields(c.ContactName+" "+c.ContactPhone+" "+c.ContactEmail), " "))
	masked := "完整显示"
	if !b.job.Unmasked {
		masked = "联系电话和电子邮箱已部分隐去,导出账户的角色为" + roleLabels[b.job.User.Role]
	}
	info := [][2]string{
		{"征求意见稿", title},
		{"发布单位", c.Publisher},
		{"征求意见时间", c.OpensAt.In(beijing).Format("2006年1月2日 15:04") + " 至 " + c.ClosesAt.In(beijing).Format("2006年1月2日 15:04")},
		{"联系方式", contact},
		{"导出范围", filterText(b.job.D, b.job.Filter)},
		{"导出时间", b.job.Now.In(beijing).Format("2006年1月2日 15:04") + ",导出人:" + b.job.User.Username + "(" + roleLabels[b.job.User.Role] + ")"},
		{"提交人联系方式", masked},
	}
	r := 3
	for _, kv := range info {
		if err := set("A"+itoa(r), kv[0], st.Label); err != nil {
			return err
		}
		if err := set("B"+itoa(r), kv[1], st.Wrap); err != nil {
			return err
		}
		if err := f.MergeCell(sh, "B"+itoa(r), "G"+itoa(r)); err != nil {
			return err
		}
		r++
	}
	r++
	triaged := t.Total - t.ByStatus[store.StatusPending]
	share := 0.0
	if t.Total > 0 {
		share = float64(triaged) / float64(t.Total)
	}
	if err := set("A"+itoa(r), "总体情况", st.Bold); err != nil {
		return err
	}
	r++
	for _, kv := range []struct {
		k     string
		v     any
		style int
	}{
		{"意见总数", t.Total, 0},
		{"已处理", triaged, 0},
		{"处理进度", share, st.Percent},
		{"相同或相似意见", fmt.Sprintf("%d 组,共 %d 条(其中 %d 条并入所在组的第一条)", t.Groups, t.Copies+t.Groups, t.Copies), 0},
	} {
		if err := set("A"+itoa(r), kv.k, st.Label); err != nil {
			return err
		}
		if err := set("B"+itoa(r), kv.v, kv.style); err != nil {
			return err
		}
		r++
	}
	// Totals by status, identity and channel, each a small table with its share.
	table := func(title, head string, keys []string, label func(string) string, counts map[string]int) error {
		r++
		if err := set("A"+itoa(r), title, st.Bold); err != nil {
			return err
		}
		r++
		for i, h := range []string{head, "条数", "占比"} {
			cell, _ := excelize.CoordinatesToCellName(i+1, r)
			if err := set(cell, h, st.Header); err != nil {
				return err
			}
		}
		r++
		for _, k := range keys {
			if err := set("A"+itoa(r), label(k), 0); err != nil {
				return err
			}
			if err := set("B"+itoa(r), counts[k], 0); err != nil {
				return err
			}
			part := 0.0
			if t.Total > 0 {
				part = float64(counts[k]) / float64(t.Total)
			}
			if err := set("C"+itoa(r), part, st.Percent); err != nil {
				return err
			}
			r++
		}
		return nil
	}
	if err := table("按处理状态", "处理状态", withExtra(store.Statuses, t.ByStatus), statusText, t.ByStatus); err != nil {
		return err
	}
	if err := table("按身份", "身份", withExtra(identities, t.ByIdentity), func(s string) string { return s }, t.ByIdentity); err != nil {
		return err
	}
	channelLabel := func(s string) string {
		if l := store.ChannelLabels[s]; l != "" {
			return l
		}
		return s
	}
	if err := table("按渠道", "渠道", withExtra(store.Channels, t.ByChannel), channelLabel, t.ByChannel); err != nil {
		return err
	}
	// The table per section, in document order, and its chart; for a revised draft, one
	// of each per revision (a revision's articles are another text: 第一稿's (八) is not
	// 修改稿's), so each table and chart still prints on a page of its own.
	groups := map[int][]*exportSection{}
	var revs []int
	for _, s := range b.sections {
		if groups[s.Revision] == nil {
			revs = append(revs, s.Revision)
		}
		groups[s.Revision] = append(groups[s.Revision], s)
	}
	sort.Ints(revs)
	lastRow := r
	for i, rev := range revs {
		name := ""
		if len(revs) > 1 {
			name = "(" + store.RevisionName(rev) + ")"
		}
		var err error
		if lastRow, err = b.sectionTable(set, sh, lastRow+1, name, groups[rev], t, i == 0); err != nil {
			return err
		}
	}
	return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Area", RefersTo: "'" + sh + "'!$A$1:$G$" + itoa(lastRow), Scope: sh})
}

// sectionTable writes 汇总's per-section table (from row r, titled 按条款 and name)
// and its bar chart below it, each starting a printed page, and returns the last row
// the chart covers. The first table gets the sheet's autofilter. set is the summary's
// cell writer (it makes text safe with exportsheet.Text).
func (b *builder) sectionTable(set func(cell string, v any, style int) error, sh string, r int, name string,
	sections []*exportSection, t *exportTotals, filter bool) (int, error) {
	f, st := b.f, &b.styles
	if err := set("A"+itoa(r), "按条款"+name, st.Bold); err != nil {
		return 0, err
	}
	r++
	head := r
	for i, h := range []string{"条款", "标题", "意见数", "采纳", "部分采纳", "不予采纳", "待处理"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, r)
		if err := set(cell, h, st.Header); err != nil {
			return 0, err
		}
	}
	for _, s := range sections {
		r++
		m := t.BySection[exportKey(s.Revision, s.Anchor)]
		total := 0
		for _, n := range m {
			total += n
		}
		short, title := s.Short, s.Title
		if s.OwnShort != "" { // not a section the draft no longer has
			short, title = s.OwnShort, s.OwnTitle
		}
		vals := []any{short, title, total, m[store.StatusAdopted], m[store.StatusPartial], m[store.StatusRejected], m[store.StatusPending]}
		for i, v := range vals {
			cell, _ := excelize.CoordinatesToCellName(i+1, r)
			style := 0
			if i == 1 {
				style = st.Wrap
			}
			if err := set(cell, v, style); err != nil {
				return 0, err
			}
		}
	}
	if filter {
		if err := f.AutoFilter(sh, "A"+itoa(head)+":G"+itoa(r), nil); err != nil {
			return 0, err
		}
		fit := true // again: the autofilter rewrote the sheet's properties
		if err := f.SetSheetProps(sh, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
			return 0, err
		}
	}
	rng := func(col string) string {
		return "'" + sh + "'!$" + col + "$" + itoa(head+1) + ":$" + col + "$" + itoa(r)
	}
	// Printed, the per-article table starts a page and the chart (below it, as wide
	// as the table) another, so neither is cut; the print area ends below the chart.
	chartRow := r + 2
	chartHeight := 120 + 18*len(sections)
	for _, row := range []int{head - 1, chartRow} {
		if err := f.InsertPageBreak(sh, "A"+itoa(row)); err != nil {
			return 0, err
		}
	}
	lastRow := chartRow + chartHeight/15 + 2       // rows are 20 px high; leave room
	for _, row := range []int{chartRow, lastRow} { // LibreOffice drops breaks in rows that do not exist
		if err := f.SetRowHeight(sh, row, 15); err != nil {
			return 0, err
		}
	}
	noVary := false
	return lastRow, f.AddChart(sh, "A"+itoa(chartRow), &excelize.Chart{
		Type: excelize.Bar,
		Series: []excelize.ChartSeries{{Name: "'" + sh + "'!$C$" + itoa(head), Categories: rng("A"), Values: rng("C"),
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"2F5597"}}}},
		Title:      excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "各条款意见数" + name}}},
		Legend:     excelize.ChartLegend{Position: "none"},
		VaryColors: &noVary,
		XAxis:      excelize.ChartAxis{ReverseOrder: true}, // document order from the top
		PlotArea:   excelize.ChartPlotArea{ShowVal: true},
		Dimension:  excelize.ChartDimension{Width: 700, Height: uint(chartHeight)},
	})
}

// withExtra is keys followed by any other key counts has, sorted, so nothing counted
// goes unlisted.
func withExtra(keys []string, counts map[string]int) []string {
	out := append([]string(nil), keys...)
	var extra []string
	for k := range counts {
		if !contains(keys, k) {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}
