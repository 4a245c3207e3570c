package inspections

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"riskmap/internal/sheet"
)

// column is one export column: its API name (CSV header), its Chinese
// heading (spreadsheet) and how to read it from a row.
type column struct {
	field, heading string
	kind           int // cellText, cellInt, cellRate, cellYuan
	get            func(r StatsRow) any
}

const (
	cellText = iota
	cellInt
	cellRate
	cellYuan
)

func columns(own string) []column {
	n := func(f func(StatsRow) int) func(StatsRow) any { return func(r StatsRow) any { return f(r) } }
	return []column{
		{"area_code", "区划代码", cellText, func(r StatsRow) any { return r.AreaCode }},
		{"area_name", "区域", cellText, func(r StatsRow) any { return r.AreaName }},
		{"worker", "网格员", cellText, func(r StatsRow) any { return r.Worker }},
		{"enterprises", "检查单位(家)", cellInt, n(func(r StatsRow) int { return r.Enterprises })},
		{"inspections", "检查(次)", cellInt, n(func(r StatsRow) int { return r.Inspections })},
		{"found", "发现隐患(处)", cellInt, n(func(r StatsRow) int { return r.Found })},
		{"to_rectify", "应整改(处)", cellInt, n(func(r StatsRow) int { return r.ToRectify })},
		{"rectified", "已整改(处)", cellInt, n(func(r StatsRow) int { return r.Rectified })},
		{"rate", "整改率", cellRate, func(r StatsRow) any { return r.Rate }},
		{"penalties", "行政处罚(次)", cellInt, n(func(r StatsRow) int { return r.Penalties })},
		{"fines_yuan", "罚款(元)", cellYuan, func(r StatsRow) any { return r.Fines }},
		{"own_enterprises", own + "检查单位(家)", cellInt, n(func(r StatsRow) int { return r.Own.Enterprises })},
		{"own_inspections", own + "检查(次)", cellInt, n(func(r StatsRow) int { return r.Own.Inspections })},
		{"own_penalties", own + "行政处罚(次)", cellInt, n(func(r StatsRow) int { return r.Own.Penalties })},
		{"own_fines_yuan", own + "罚款(元)", cellYuan, func(r StatsRow) any { return r.Own.Fines }},
		{"patrols_due", "应巡查(次)", cellInt, n(func(r StatsRow) int { return r.Patrols.Due })},
		{"patrols_on_time", "按期巡查(次)", cellInt, n(func(r StatsRow) int { return r.Patrols.OnTime })},
		{"patrols_late", "超期巡查(次)", cellInt, n(func(r StatsRow) int { return r.Patrols.Late })},
		{"patrols_overdue", "逾期未巡(次)", cellInt, n(func(r StatsRow) int { return r.Patrols.Overdue })},
		{"patrols", "巡查(次)", cellInt, n(func(r StatsRow) int { return r.Patrols.Patrols })},
		{"patrols_off_site", "偏离点位(次)", cellInt, n(func(r StatsRow) int { return r.Patrols.OffSite })},
		{"patrols_problems", "发现问题(次)", cellInt, n(func(r StatsRow) int { return r.Patrols.Problems })},
		{"patrol_hazards", "巡查发现隐患(处)", cellInt, n(func(r StatsRow) int { return r.Patrols.Hazards })},
	}
}

// rowsWithTotal are the rows and the total, named 合计.
func (st Stats) rowsWithTotal() []StatsRow {
	total := st.Total
	total.AreaName = "合计"
	return append(append([]StatsRow{}, st.Rows...), total)
}

// WriteCSV writes the statistics as UTF-8 CSV with a byte-order mark (for
// Excel), the API's field names as header, a row per area and 合计. Rates
// are fractions and fines yuan, as in the JSON.
func WriteCSV(w io.Writer, st Stats) error {
	cols := columns(st.OwnName)
	head := make([]string, len(cols))
	for i, c := range cols {
		head[i] = c.field
	}
	var rows [][]string
	for _, r := range st.rowsWithTotal() {
		rec := make([]string, len(cols))
		for i, c := range cols {
			switch v := c.get(r).(type) {
			case string:
				rec[i] = v
			case int:
				rec[i] = strconv.Itoa(v)
			case *float64:
				if v != nil {
					rec[i] = strconv.FormatFloat(*v, 'f', 3, 64)
				}
			case Fen:
				rec[i] = v.Yuan()
			}
		}
		rows = append(rows, rec)
	}
	return sheet.WriteTable(w, head, rows)
}

// WriteXLSX writes the statistics as a workbook: a title with the area and
// period, Chinese headings, a row per area, 合计, and the report's
// paragraph below; rates as percentages, fines in yuan with two decimals.
func WriteXLSX(w io.Writer, st Stats) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "监督检查统计"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	area := st.AreaName
	if area == "" {
		area = "全部"
	}
	if err := f.SetCellValue(sheet, "A1", fmt.Sprintf("%s 监督检查与巡查统计 %s 至 %s", area, st.From, st.To)); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	pctFmt, yuanFmt := "0.0%", "#,##0.00"
	pct, err := f.NewStyle(&excelize.Style{CustomNumFmt: &pctFmt})
	if err != nil {
		return err
	}
	yuan, err := f.NewStyle(&excelize.Style{CustomNumFmt: &yuanFmt})
	if err != nil {
		return err
	}
	cols := columns(st.OwnName)
	for i, c := range cols {
		cell, _ := excelize.CoordinatesToCellName(i+1, 3)
		if err := f.SetCellValue(sheet, cell, c.heading); err != nil {
			return err
		}
		if err := f.SetCellStyle(sheet, cell, cell, bold); err != nil {
			return err
		}
	}
	rows := st.rowsWithTotal()
	for j, r := range rows {
		for i, c := range cols {
			cell, _ := excelize.CoordinatesToCellName(i+1, 4+j)
			var v any
			style := 0
			switch x := c.get(r).(type) {
			case *float64:
				if x != nil {
					v, style = *x, pct
				}
			case Fen:
				v, style = float64(x)/100, yuan
			default:
				v = x
			}
			if err := f.SetCellValue(sheet, cell, v); err != nil {
				return err
			}
			if style != 0 {
				if err := f.SetCellStyle(sheet, cell, cell, style); err != nil {
					return err
				}
			}
		}
	}
	if err := f.SetCellValue(sheet, fmt.Sprintf("A%d", 4+len(rows)+1), st.Sentence); err != nil {
		return err
	}
	_ = f.SetColWidth(sheet, "A", "A", 16)
	_ = f.SetColWidth(sheet, "B", "B", 22)
	return f.Write(w)
}

// ExportName is the export's file name without extension, in Chinese like
// the other statistics' (cases.ExportName): 监督检查统计_新港街道_2021-01-01至2021-12-31.
func ExportName(st Stats) string {
	name := "监督检查统计"
	if st.AreaName != "" {
		name += "_" + strings.ReplaceAll(st.AreaName, "、", "_")
	}
	return name + "_" + st.From + "至" + st.To
}
