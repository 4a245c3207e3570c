package cases

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"riskmap/internal/sheet"
)

// statsColumns are the export columns: API field names (CSV header) and the
// Chinese headings of the spreadsheet.
var statsColumns = []struct{ field, heading string }{
	{"area_code", "区划代码"},
	{"area_name", "区域"},
	{"found", "发现隐患(处)"},
	{"to_rectify", "应整改(处)"},
	{"rectified", "已整改(处)"},
	{"rate", "整改率"},
	{"overdue", "逾期(处)"},
	{"on_time", "按期整改(处)"},
	{"on_time_rate", "按期整改率"},
	{"major_found", "重大隐患(处)"},
	{"major_rectified", "重大隐患已整改(处)"},
	{"escalated", "逾期升级(处)"},
}

func rateText(r *float64) string {
	if r == nil {
		return ""
	}
	return strconv.FormatFloat(*r, 'f', 3, 64)
}

func (r StatsRow) cells() []any {
	rate := func(f *float64) any {
		if f == nil {
			return nil
		}
		return *f
	}
	return []any{r.AreaCode, r.AreaName, r.Found, r.ToRectify, r.Rectified, rate(r.Rate), r.Overdue, r.OnTime,
		rate(r.OnTimeRate), r.MajorFound, r.MajorRectified, r.Escalated}
}

// WriteCSV writes the statistics as CSV in UTF-8 with a byte-order mark (so
// Excel reads the Chinese names), the API's field names as header, one row
// per area and a last row 合计 with the total. Rates are fractions, as in
// the JSON.
func WriteCSV(w io.Writer, st Stats) error {
	head := make([]string, len(statsColumns))
	for i, c := range statsColumns {
		head[i] = c.field
	}
	total := st.Total
	total.AreaName = "合计"
	var rows [][]string
	for _, r := range append(append([]StatsRow{}, st.Rows...), total) {
		rows = append(rows, []string{r.AreaCode, r.AreaName, strconv.Itoa(r.Found), strconv.Itoa(r.ToRectify), strconv.Itoa(r.Rectified),
			rateText(r.Rate), strconv.Itoa(r.Overdue), strconv.Itoa(r.OnTime), rateText(r.OnTimeRate),
			strconv.Itoa(r.MajorFound), strconv.Itoa(r.MajorRectified), strconv.Itoa(r.Escalated)})
	}
	return sheet.WriteTable(w, head, rows)
}

// WriteXLSX writes the statistics as an Excel workbook: a title line with
// the area and period, Chinese headings, one row per area, the total and
// the report's sentence; rates formatted as percentages with one decimal.
func WriteXLSX(w io.Writer, st Stats) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "隐患整改统计"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	title := ExportTitle(st)
	if err := f.SetCellValue(sheet, "A1", title); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 176, CustomNumFmt: ptr("0.0%")})
	if err != nil {
		return err
	}
	for i, c := range statsColumns {
		cell, _ := excelize.CoordinatesToCellName(i+1, 3)
		if err := f.SetCellValue(sheet, cell, c.heading); err != nil {
			return err
		}
	}
	last, _ := excelize.CoordinatesToCellName(len(statsColumns), 3)
	if err := f.SetCellStyle(sheet, "A3", last, bold); err != nil {
		return err
	}
	total := st.Total
	total.AreaName = "合计"
	rows := append(append([]StatsRow{}, st.Rows...), total)
	for j, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, 4+j)
		vals := r.cells()
		if err := f.SetSheetRow(sheet, cell, &vals); err != nil {
			return err
		}
	}
	lastRow := 4 + len(rows) - 1
	boldPct, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 176, CustomNumFmt: ptr("0.0%")})
	if err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, fmt.Sprintf("A%d", lastRow), fmt.Sprintf("K%d", lastRow), bold); err != nil {
		return err
	}
	for _, col := range []string{"F", "I"} {
		if err := f.SetCellStyle(sheet, col+"4", fmt.Sprintf("%s%d", col, lastRow), pct); err != nil {
			return err
		}
		if err := f.SetCellStyle(sheet, fmt.Sprintf("%s%d", col, lastRow), fmt.Sprintf("%s%d", col, lastRow), boldPct); err != nil {
			return err
		}
	}
	if err := f.SetCellValue(sheet, fmt.Sprintf("A%d", lastRow+2), st.Sentence); err != nil {
		return err
	}
	_ = f.SetColWidth(sheet, "A", "A", 16)
	_ = f.SetColWidth(sheet, "B", "B", 22)
	_ = f.SetColWidth(sheet, "C", "K", 14)
	return f.Write(w)
}

func ptr[T any](v T) *T { return &v }

// ExportTitle is the export's title, e.g. 新港街道隐患排查整改统计（2026-01-01至2026-06-30）.
func ExportTitle(st Stats) string {
	return fmt.Sprintf("%s隐患排查整改统计（%s至%s）", st.AreaName, st.From, st.To)
}

// ExportName is the export's file name without extension, in the words of
// its title: 隐患排查整改统计_新港街道_2026-01-01至2026-06-30.
func ExportName(st Stats) string {
	name := "隐患排查整改统计"
	if st.AreaName != "" {
		name += "_" + strings.ReplaceAll(st.AreaName, "、", "_")
	}
	return name + "_" + st.From + "至" + st.To
}
