package main

import (
	"context"
	"strconv"
)

// excelMaxRows is the most rows an Excel worksheet holds (Excel 2007 and later; the
// same as excelize.TotalRows). Excel refuses to open a file with more.
const excelMaxRows = 1_048_576

// detailSheetRows is how many comments one detail sheet takes: every row but the
// header's. A variable so tests can try the overflow with a few rows.
var detailSheetRows = excelMaxRows - 1

// planDetailSheets names the detail sheets the export needs: 意见明细, then
// 意见明细(二), 意见明细(三)… when the comments do not fit one sheet. It counts on
// the export's own snapshot, so the plan and the rows agree.
func (b *builder) planDetailSheets(ctx context.Context) ([]string, error) {
	n, err := b.x.Count(ctx, b.job.Filter)
	if err != nil {
		return nil, err
	}
	sheets := max(1, (n+detailSheetRows-1)/detailSheetRows)
	names := []string{sheetDetail}
	for i := 2; i <= sheets; i++ {
		names = append(names, sheetDetail+"("+chineseNumeral(i)+")")
	}
	return names, nil
}

// chineseNumeral writes 1–99 as in a sheet name: 二, 十, 十一, 二十三 (larger numbers
// in digits; a million comments need two sheets, a hundred million ninety-six).
func chineseNumeral(n int) string {
	digits := []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	switch {
	case n <= 0 || n >= 100:
		return strconv.Itoa(n)
	case n < 10:
		return digits[n]
	case n == 10:
		return "十"
	case n < 20:
		return "十" + digits[n%10]
	}
	return digits[n/10] + "十" + digits[n%10]
}
