package api_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestTheCaseLedgerHoldsEveryListedCaseWithItsKeyDates exports the case
// ledger (台账) as a workbook and as CSV with the list's filters and reads
// both back: one row a case the list shows, Chinese headings and labels in
// the workbook, the grid code as text, the history's key dates.
func TestTheCaseLedgerHoldsEveryListedCaseWithItsKeyDates(t *testing.T) {
	e := newCaseEnv(t)
	a := e.newCase("worker1", 115.2, 23.0, map[string]any{"description": "=HYPERLINK(\"x\")"})
	d := e.mustAct("xingang", a.ID, map[string]any{"action": "register", "version": 1})
	e.mustAct("xingang", a.ID, map[string]any{"action": "assign", "version": d.version(), "assignee": e.ids["worker1"], "deadline": future(7)})
	b := e.newCase("worker1", 115.21, 23.0, map[string]any{"category": "fire"})
	e.newCase("xingang", 115.7, 23.0, nil)
	var list struct {
		Features []struct{ ID string }
	}
	e.do("GET", "/api/v1/cases?limit=1000&area=441502001001001", "xingang", nil, &list)
	if len(list.Features) != 2 {
		t.Fatalf("the list in grid 001: %d cases", len(list.Features))
	}

	res := e.do("GET", "/api/v1/cases/export?format=xlsx&area=441502001001001", "xingang", nil, nil)
	if res.StatusCode != 200 {
		t.Fatalf("ledger: %d %s", res.StatusCode, res.Body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sh := f.GetSheetList()[0]
	rows, _ := f.GetRows(sh)
	if len(rows) != 3 {
		t.Fatalf("ledger rows: %v", rows)
	}
	head := rows[0]
	col := func(h string) int {
		i := slices.Index(head, h)
		if i < 0 {
			t.Fatalf("no column %s in %v", h, head)
		}
		return i
	}
	byID := map[string][]string{}
	for _, r := range rows[1:] {
		for len(r) < len(head) {
			r = append(r, "")
		}
		byID[r[col("案件编号")]] = r
	}
	ra, rb := byID[a.ID], byID[b.ID]
	if ra == nil || rb == nil {
		t.Fatalf("ledger ids %v, want %s and %s", byID, a.ID, b.ID)
	}
	if ra[col("状态")] != "已派遣" || ra[col("网格编码")] != "441502001001001" || ra[col("类别")] != "山洪/内涝" ||
		ra[col("登记时间")] == "" || ra[col("派遣时间")] == "" || ra[col("整改期限")] == "" || ra[col("整改责任人")] == "" {
		t.Errorf("assigned case: %v", ra)
	}
	if rb[col("状态")] != "上报" || rb[col("类别")] != "消防" || rb[col("登记时间")] != "" {
		t.Errorf("reported case: %v", rb)
	}
	cell, _ := excelize.CoordinatesToCellName(col("网格编码")+1, 2)
	if typ, _ := f.GetCellType(sh, cell); typ != excelize.CellTypeInlineString {
		t.Errorf("the grid code is not text: %v", typ)
	}
	if panes, _ := f.GetPanes(sh); !panes.Freeze {
		t.Error("the heading row is not frozen")
	}

	res = e.do("GET", "/api/v1/cases/export?format=csv&area=441502001001001", "xingang", nil, nil)
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(res.Body, []byte("\ufeff")))).ReadAll()
	if err != nil || len(recs) != 3 || recs[0][0] != "id" {
		t.Fatalf("CSV ledger: %v %v", err, recs)
	}
	for _, r := range recs[1:] {
		if r[0] == a.ID && (r[1] != "assigned" || !strings.HasPrefix(r[4], "'=")) {
			t.Errorf("CSV row: %v (state as its code, the formula neutralised)", r)
		}
	}
	if res := e.do("GET", "/api/v1/cases/export?format=pdf", "xingang", nil, nil); res.StatusCode != 400 {
		t.Errorf("an unknown format: %d", res.StatusCode)
	}
}
