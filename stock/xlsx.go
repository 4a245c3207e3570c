package stock

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// kindNames are the movement kinds as the ledger (台账) writes them.
var kindNames = map[string]string{In: "入库", Out: "出库", Transfer: "调拨", Count: "盘点"}

// WriteXLSX writes a depot's ledger as a workbook: a sheet of its stock
// lines with their flags, and a sheet of every movement, oldest first, with
// the balance after each. Item codes, batches and references are text.
func WriteXLSX(w io.Writer, depot string, lines []Line, moves []Movement) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	sheet := func(name, title string, head []string, widths []float64, rows [][]any) error {
		if name != "Sheet1" {
			if _, err := f.NewSheet(name); err != nil {
				return err
			}
		}
		if err := f.SetCellValue(name, "A1", title); err != nil {
			return err
		}
		if err := f.SetSheetRow(name, "A3", &head); err != nil {
			return err
		}
		last, _ := excelize.CoordinatesToCellName(len(head), 3)
		if err := f.SetCellStyle(name, "A3", last, bold); err != nil {
			return err
		}
		for i, r := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, 4+i)
			if err := f.SetSheetRow(name, cell, &r); err != nil {
				return err
			}
		}
		for i, wd := range widths {
			col, _ := excelize.ColumnNumberToName(i + 1)
			if err := f.SetColWidth(name, col, col, wd); err != nil {
				return err
			}
		}
		return f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"})
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	yes := func(b bool) string {
		if b {
			return "是"
		}
		return ""
	}
	var lrows [][]any
	for _, l := range lines {
		lrows = append(lrows, []any{l.Item, l.Batch, l.Unit, l.Quantity, str(l.ExpiresOn), yes(l.Expired), yes(l.Expiring), yes(l.BelowNorm),
			l.UpdatedAt.In(shanghai).Format("2006-01-02 15:04")})
	}
	if err := f.SetSheetName("Sheet1", "库存"); err != nil {
		return err
	}
	if err := sheet("库存", depot+" 库存", []string{"物资", "批次", "单位", "结存", "有效期至", "已过期", "临期", "低于定额", "更新时间"},
		[]float64{16, 14, 8, 12, 12, 8, 8, 10, 18}, lrows); err != nil {
		return err
	}
	var mrows [][]any
	for i := len(moves) - 1; i >= 0; i-- { // oldest first
		m := moves[i]
		other := ""
		if m.CounterpartName != nil {
			other = *m.CounterpartName
		}
		mrows = append(mrows, []any{m.At.In(shanghai).Format("2006-01-02 15:04:05"), kindNames[m.Kind], m.Item, m.Batch, m.Unit,
			m.Quantity, m.Balance, str(m.ExpiresOn), str(m.Reason), str(m.Ref), other, m.Actor})
	}
	if err := sheet("出入库台账", fmt.Sprintf("%s 出入库台账（共%d条）", depot, len(moves)),
		[]string{"时间", "类型", "物资", "批次", "单位", "数量", "结存", "有效期至", "原因", "单号", "对方仓库", "经办人"},
		[]float64{20, 8, 16, 14, 8, 10, 10, 12, 30, 16, 24, 20}, mrows); err != nil {
		return err
	}
	// codes stay text: item codes and batches are strings already; a
	// numeric-looking batch or reference is written as a string cell
	return f.Write(w)
}
