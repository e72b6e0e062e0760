package main

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"consult/store"
)

// TestExportOverflowsToMoreDetailSheets exports more comments than a detail sheet
// holds (the limit made small): the rows continue on 意见明细(二) and (三), in order,
// each sheet with its header, and the workbook reopens.
func TestExportOverflowsToMoreDetailSheets(t *testing.T) {
	old := detailSheetRows
	detailSheetRows = 3
	t.Cleanup(func() { detailSheetRows = old })
	e := newTestEnv(t, "")
	for i := range 8 {
		e.addComment(store.Comment{SectionAnchor: "general", Body: fmt.Sprintf("第%d条来信的意见内容。", i+1), Name: "张三", Identity: "个人",
			CreatedAt: exportBase.Add(time.Duration(i) * time.Hour)})
	}
	_, _, f := e.download(e.loginAs("committee1", store.RoleCommittee), "?sort=old")
	if f == nil {
		t.Fatal("no workbook")
	}
	want := []string{sheetSummary, sheetDetail, sheetDetail + "(二)", sheetDetail + "(三)", sheetFeedback}
	if got := f.GetSheetList(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("sheets %v, want %v", got, want)
	}
	seq := 0
	for i, name := range want[1:4] {
		rows := sheetRows(t, f, name)
		if len(rows) == 0 || fmt.Sprint(rows[0]) != fmt.Sprint(detailHeader) {
			t.Fatalf("%s: no header: %v", name, rows)
		}
		if wantRows := []int{3, 3, 2}[i]; len(rows)-1 != wantRows {
			t.Fatalf("%s: %d rows, want %d", name, len(rows)-1, wantRows)
		}
		for _, r := range rows[1:] {
			seq++
			if r[0] != strconv.Itoa(seq) || cellAt(r, col("意见内容", detailHeader)) != fmt.Sprintf("第%d条来信的意见内容。", seq) {
				t.Fatalf("%s: row %v, want comment %d", name, r, seq)
			}
		}
	}
	if seq != 8 {
		t.Fatalf("%d comments across the detail sheets, want 8", seq)
	}
	// With few enough comments there is one detail sheet, as before.
	detailSheetRows = 8
	_, _, f = e.download(e.loginAs("committee2", store.RoleCommittee), "")
	if n := len(f.GetSheetList()); n != 3 {
		t.Fatalf("%d sheets for comments that fit one detail sheet", n)
	}
}

// TestExcelRowLimit pins the real limit: excelize (like Excel) refuses row 1,048,577,
// and a detail sheet takes its header plus detailSheetRows rows, exactly the limit.
func TestExcelRowLimit(t *testing.T) {
	if excelMaxRows != excelize.TotalRows || detailSheetRows+1 != excelMaxRows {
		t.Fatalf("limit %d, excelize %d, rows per sheet %d", excelMaxRows, excelize.TotalRows, detailSheetRows)
	}
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.SetRow("A"+strconv.Itoa(excelMaxRows), []any{"last"}); err != nil {
		t.Fatalf("row %d refused: %v", excelMaxRows, err)
	}
	if err := sw.SetRow("A"+strconv.Itoa(excelMaxRows+1), []any{"one too many"}); err == nil {
		t.Fatal("a row past the limit was accepted")
	}
}
