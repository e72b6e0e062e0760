package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	exportsheet "consult/server/export_sheet"
	"consult/server/revdiff"
	"consult/store"
)

// sheetChanges is the committee's 修改前后对照表, in changes.xlsx and in the full export.
const sheetChanges = "修改对照表"

// changesHeader is the sheet's header row (a stable layout, like the export's).
var changesHeader = []string{"序号", "修改类型", "原条文", "修改后条文", "修改内容", "意见数", "采纳的意见"}

// changesXLSX is GET /admin/c/{slug}/changes.xlsx (?from=&to= as on the public page):
// the 修改前后对照表 as a workbook, one row per pair in the revised draft's order.
func (a *app) changesXLSX(c echo.Context) error {
	ctx := c.Request().Context()
	cs, err := a.store.ConsultationBySlug(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	from, okF := revParam(c.QueryParam("from"))
	to, okT := revParam(c.QueryParam("to"))
	if !okF || !okT {
		return echo.NewHTTPError(http.StatusNotFound, "没有这一稿。")
	}
	if cs.DraftRevision < 2 {
		return echo.NewHTTPError(http.StatusNotFound, "本征求意见稿尚无修改稿,暂无修改前后对照表。")
	}
	cmp, _, err := a.loadComparison(ctx, cs, from, to)
	if errors.Is(err, errNoRevision) {
		return echo.NewHTTPError(http.StatusNotFound, "没有这两稿之间的对照。")
	}
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheetChanges); err != nil {
		return err
	}
	if err := writeChangesSheet(f, cs, cmp); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return err
	}
	if err := a.store.Audit(ctx, a.actor(c), store.AuditEntry{Action: "export", ConsultationID: cs.ID, Target: "consultation:" + cs.Slug,
		After: map[string]any{"format": "changes.xlsx", "from": cmp.From.Number, "to": cmp.To.Number, "rows": len(cmp.Rows)}}); err != nil {
		return err
	}
	day := a.now().In(beijing).Format("20060102")
	title := exportsheet.FileNamePart(strings.ReplaceAll(cs.Title, "\n", ""), 60)
	name := fmt.Sprintf("%s_修改前后对照表_%s_%s.xlsx", title, store.RevisionName(cmp.To.Number), day)
	c.Response().Header().Set(echo.HeaderContentDisposition, exportsheet.ContentDisposition(name,
		fmt.Sprintf("%s-changes-%d-%d-%s.xlsx", cs.Slug, cmp.From.Number, cmp.To.Number, day)))
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, xlsxType, buf.Bytes())
}

// changesWidths are the sheet's column widths, in characters of the default font.
var changesWidths = []float64{6, 10, 48, 48, 30, 8, 36}

// wrappedLines estimates how many lines text takes in a wrapped column width wide:
// a Chinese character takes two widths, other characters one; each paragraph starts
// a new line.
func wrappedLines(text string, width float64) int {
	n := 0
	for _, par := range strings.Split(text, "\n") {
		w := 0.0
		for _, r := range par {
			if r >= 0x2E80 {
				w += 2
			} else {
				w++
			}
		}
		n += max(1, int(math.Ceil(w/(width-1))))
	}
	return n
}

// maxRichRunes bounds a cell written as rich text; longer ones (beyond any real
// article) are written as plain text cut to the cell limit by exportsheet.Text.
const maxRichRunes = 30000

// writeChangesSheet fills the sheet named sheetChanges (which must exist): the header
// row, then one row per pair with deletions struck through in 原条文 and insertions
// underlined in 修改后条文 (and spelled out in 修改内容, for print and screen readers),
// wrapped, printable on A4 landscape with the header on every page.
func writeChangesSheet(f *excelize.File, cs *store.Consultation, cmp *comparison) error {
	const sh = sheetChanges
	set := func(col, row int, v any) error {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		if s, ok := v.(string); ok {
			t, _ := exportsheet.Text(s)
			return f.SetCellStr(sh, cell, t) // always a string, never a formula
		}
		return f.SetCellValue(sh, cell, v)
	}
	rich := func(col, row int, label string, ops []revdiff.Op, keep revdiff.OpKind, mark *excelize.Font) error {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		runs := []excelize.RichTextRun{{Text: label}}
		n := utf8.RuneCountInString(label)
		for _, op := range ops {
			if op.Kind != revdiff.Equal && op.Kind != keep {
				continue
			}
			n += utf8.RuneCountInString(op.Text)
			r := excelize.RichTextRun{Text: op.Text, Font: &excelize.Font{Family: "等线", Size: 11}}
			if op.Kind == keep {
				r.Font = mark
			}
			runs = append(runs, r)
		}
		if label == "" {
			runs = runs[1:]
		} else {
			runs[0].Font = &excelize.Font{Family: "等线", Size: 11}
		}
		if n > maxRichRunes {
			var b strings.Builder
			for _, r := range runs {
				b.WriteString(r.Text)
			}
			return set(col, row, b.String())
		}
		return f.SetCellRichText(sh, cell, runs)
	}
	for i, h := range changesHeader {
		if err := set(i+1, 1, h); err != nil {
			return err
		}
	}
	struck := &excelize.Font{Family: "等线", Size: 11, Strike: true, Color: "A8071A"}
	underlined := &excelize.Font{Family: "等线", Size: 11, Underline: "single", Bold: true, Color: "135C25"}
	row := 2
	for k, r := range cmp.Rows {
		if err := set(1, row, k+1); err != nil {
			return err
		}
		if err := set(2, row, r.TypeLabel()); err != nil {
			return err
		}
		switch {
		case r.Type == revdiff.Modified:
			if err := rich(3, row, r.OldLabel(), r.Ops, revdiff.Delete, struck); err != nil {
				return err
			}
			if err := rich(4, row, r.NewLabel(), r.Ops, revdiff.Insert, underlined); err != nil {
				return err
			}
		default:
			if err := set(3, row, r.OldText()); err != nil {
				return err
			}
			if err := set(4, row, r.NewText()); err != nil {
				return err
			}
		}
		if err := set(5, row, changeNote(&r)); err != nil {
			return err
		}
		if len(r.Old) > 0 {
			if err := set(6, row, r.Comments); err != nil {
				return err
			}
		}
		var adopted []string
		for _, ad := range r.Adopted {
			s := store.StatusLabels[ad.Status] + ":" + ad.Body
			if ad.Count > 1 {
				s += fmt.Sprintf("(相同或相似 %d 条)", ad.Count)
			}
			adopted = append(adopted, s)
		}
		if err := set(7, row, strings.Join(adopted, "\n")); err != nil {
			return err
		}
		// Row heights: spreadsheets do not grow a row to fit wrapped text written by a
		// library (only when typed), so a printout would show one line of each article.
		lines := 1
		for col, text := range map[int]string{3: r.OldText(), 4: r.NewText(), 5: changeNote(&r), 7: strings.Join(adopted, "\n")} {
			lines = max(lines, wrappedLines(text, changesWidths[col-1]))
		}
		if err := f.SetRowHeight(sh, row, min(409, 4+14.5*float64(lines))); err != nil {
			return err
		}
		row++
	}
	// Layout: widths, wrapping, frozen header, filter, print.
	for i, w := range changesWidths {
		if err := f.SetColWidth(sh, colName(i+1), colName(i+1), w); err != nil {
			return err
		}
	}
	wrap, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: "等线", Size: 11}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: "等线", Size: 11, Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center", Horizontal: "center"}})
	if err != nil {
		return err
	}
	last := fmt.Sprintf("G%d", max(row-1, 1))
	if err := f.SetCellStyle(sh, "A2", last, wrap); err != nil {
		return err
	}
	if err := f.SetCellStyle(sh, "A1", "G1", head); err != nil {
		return err
	}
	if err := f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := f.AutoFilter(sh, "A1:"+last, nil); err != nil {
		return err
	}
	paper, orient, one, zero := 9, "landscape", 1, 0 // A4
	if err := f.SetPageLayout(sh, &excelize.PageLayoutOptions{Size: &paper, Orientation: &orient, FitToWidth: &one, FitToHeight: &zero}); err != nil {
		return err
	}
	fit := true
	if err := f.SetSheetProps(sh, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	title := strings.ReplaceAll(cmp.To.Title, "\n", "")
	if title == "" {
		title = strings.ReplaceAll(cs.Title, "\n", "")
	}
	if err := f.SetHeaderFooter(sh, &excelize.HeaderFooterOptions{
		// Like every sheet of the committee export: the sheet's name on the left.
		OddHeader: "&L" + sh + "(" + store.RevisionName(cmp.From.Number) + "→" + store.RevisionName(cmp.To.Number) + ")&R" + excelQuote(title),
		OddFooter: "&C第 &P 页,共 &N 页",
	}); err != nil {
		return err
	}
	return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + sh + "'!$1:$1", Scope: sh})
}

// changeNote spells out a row's change in words: what was deleted and inserted, a
// renumbering, a move.
func changeNote(r *changeRow) string {
	var parts []string
	switch r.Type {
	case revdiff.Added:
		parts = append(parts, "新增"+r.NewLabel())
	case revdiff.Deleted:
		parts = append(parts, "删除"+r.OldLabel())
	case revdiff.Moved:
		parts = append(parts, "条文未改,位置移动")
	case revdiff.Modified:
		for _, op := range r.Ops {
			switch op.Kind {
			case revdiff.Delete:
				parts = append(parts, "删除“"+excerpt(op.Text, 60)+"”")
			case revdiff.Insert:
				parts = append(parts, "增加“"+excerpt(op.Text, 60)+"”")
			}
		}
		if len(r.Old) > 1 {
			parts = append(parts, "由"+r.OldLabel()+"合并")
		}
		if len(r.New) > 1 {
			parts = append(parts, "拆分为"+r.NewLabel())
		}
	}
	if r.Renumbered() && len(r.Old) == 1 && len(r.New) == 1 {
		parts = append(parts, "序号"+r.OldLabel()+"改为"+r.NewLabel())
	}
	return strings.Join(parts, ";")
}

func colName(n int) string {
	s, _ := excelize.ColumnNumberToName(n)
	return s
}

// addChangesSheet adds 修改对照表 (the current revision against the one before) to
// the full committee export, when the draft has been revised.
func addChangesSheet(ctx context.Context, st *store.Store, f *excelize.File, cs *store.Consultation) error {
	if cs.DraftRevision < 2 {
		return nil
	}
	cmp, _, err := loadComparison(ctx, st, cs, 0, 0)
	if err != nil {
		return err
	}
	if _, err := f.NewSheet(sheetChanges); err != nil {
		return err
	}
	return writeChangesSheet(f, cs, cmp)
}
