package main

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	exportsheet "consult/server/export_sheet"
	"consult/store"
)

// feedbackXLSX is the published report as a workbook in the standard 意见采纳情况汇总表
// layout: GET /c/{slug}/feedback.xlsx. Like the page it shows only what was published,
// consented names only, never contact data.
func (a *app) feedbackXLSX(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := a.loadDraft(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	r, err := a.store.LatestFeedback(ctx, d.C.ID)
	if isNotFound(err) {
		return echo.NewHTTPError(http.StatusNotFound, "意见采纳情况尚未公布。")
	}
	if err != nil {
		return err
	}
	items, err := a.store.FeedbackItems(ctx, r.ID)
	if err != nil {
		return err
	}
	b, err := feedbackWorkbook(d, r, items)
	if err != nil {
		return err
	}
	title := strings.ReplaceAll(d.C.Title, "\n", "")
	name := exportsheet.FileNamePart(title, 40) + "-意见采纳情况-第" + fmt.Sprint(r.Revision) + "版.xlsx"
	h := c.Response().Header()
	h.Set("Content-Disposition", exportsheet.ContentDisposition(name, d.C.Slug+"-feedback-"+fmt.Sprint(r.Revision)+".xlsx"))
	h.Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b)
}

// reportHeader is the table's header row.
var reportHeader = []string{"序号", "条款", "条款标题", "意见内容", "提出者", "意见数量", "采纳情况", "理由/处理意见"}

// feedbackWorkbook lays the report out: one row per comment or campaign group, per
// article in document order, decided ones first by decision.
func feedbackWorkbook(d *draftData, r *store.FeedbackReport, items []store.FeedbackItem) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "意见采纳情况汇总表"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	title := "关于《" + strings.ReplaceAll(d.C.Title, "\n", "") + "》公开征求意见采纳情况汇总表"
	set := func(cell string, v any) error {
		if s, ok := v.(string); ok {
			t, _ := exportsheet.Text(s)
			return f.SetCellStr(sheet, cell, t) // always a string: never a formula
		}
		return f.SetCellValue(sheet, cell, v)
	}
	if err := set("A1", title); err != nil {
		return nil, err
	}
	if err := f.MergeCell(sheet, "A1", "H1"); err != nil {
		return nil, err
	}
	info := fmt.Sprintf("共 %d 人(单位)提出意见 %d 条。第 %d 版,发布于 %s(北京时间)。", r.Participants, r.Comments, r.Revision, r.PublishedAt.In(beijing).Format("2006-01-02 15:04"))
	if err := set("A2", info); err != nil {
		return nil, err
	}
	if err := f.MergeCell(sheet, "A2", "H2"); err != nil {
		return nil, err
	}
	for i, h := range reportHeader {
		cell, _ := excelize.CoordinatesToCellName(i+1, 3)
		if err := set(cell, h); err != nil {
			return nil, err
		}
	}
	row := 4
	n := 0
	for _, fs := range buildFeedback(d, items) {
		label, heading := "全文", "总体意见"
		if fs.Section != nil {
			label, heading = fs.Section.Label, fs.Section.Heading
			if fs.Section.Kind == "preamble" {
				label, heading = "前言", ""
			}
		}
		if name := fs.RevisionName(); name != "" {
			label = "〔" + name + "〕" + label
		}
		for _, g := range fs.Groups {
			for _, it := range g.Items {
				n++
				who := "公众"
				if len(it.Names) > 0 {
					who = strings.Join(it.Names, "、")
					if it.MoreNames > 0 {
						who += " 等"
					}
				}
				vals := []any{n, label, heading, it.Body, who, it.Count, store.StatusLabels[it.Status], it.Response}
				for i, v := range vals {
					cell, _ := excelize.CoordinatesToCellName(i+1, row)
					if err := set(cell, v); err != nil {
						return nil, err
					}
				}
				row++
			}
		}
		if fs.Pending+fs.Other > 0 {
			note := strings.TrimSpace(fmt.Sprintf("%s%s", countNote(fs.Pending, "尚在研究"), countNote(fs.Other, "重复或无效,不逐条列出")))
			for i, v := range []any{"", label, heading, note} {
				cell, _ := excelize.CoordinatesToCellName(i+1, row)
				if err := set(cell, v); err != nil {
					return nil, err
				}
			}
			row++
		}
	}
	// Layout: widths, wrapped text, frozen header, filter, landscape print with the
	// header repeated on every page.
	for col, w := range map[string]float64{"A": 6, "B": 10, "C": 22, "D": 60, "E": 14, "F": 9, "G": 10, "H": 45} {
		if err := f.SetColWidth(sheet, col, col, w); err != nil {
			return nil, err
		}
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return nil, err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center", Horizontal: "center"}})
	if err != nil {
		return nil, err
	}
	titleStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}, Alignment: &excelize.Alignment{Horizontal: "center"}})
	if err != nil {
		return nil, err
	}
	last := fmt.Sprintf("H%d", max(row-1, 3))
	for _, s := range []struct {
		from, to string
		style    int
	}{{"A4", last, wrap}, {"A3", "H3", head}, {"A1", "H1", titleStyle}} {
		if err := f.SetCellStyle(sheet, s.from, s.to, s.style); err != nil {
			return nil, err
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	if err := f.AutoFilter(sheet, "A3:"+last, nil); err != nil {
		return nil, err
	}
	// Print: A4 landscape, one page wide (fit-to-page is set after the autofilter,
	// which rewrites the sheet's properties), the header row on every page.
	orient, paper, one, zero, fit := "landscape", paperA4, 1, 0, true
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &orient, Size: &paper, FitToWidth: &one, FitToHeight: &zero}); err != nil {
		return nil, err
	}
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return nil, err
	}
	m, tb, hf := 0.4, 0.6, 0.25
	if err := f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Left: &m, Right: &m, Top: &tb, Bottom: &tb, Header: &hf, Footer: &hf}); err != nil {
		return nil, err
	}
	if err := f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{OddFooter: "&C第 &P 页,共 &N 页"}); err != nil {
		return nil, err
	}
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + sheet + "'!$3:$3", Scope: sheet}); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func countNote(n int, what string) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("另有 %d 条意见%s。", n, what)
}
