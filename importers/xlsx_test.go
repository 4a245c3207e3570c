package importers_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"riskmap/geo"
	"riskmap/importers"
)

// workbook makes an .xlsx whose first sheet holds rows from A1 down; a nil
// row is left empty. Numbers stay numbers, so the reader must take them
// as stored, not as a cell format shows them.
func workbook(t *testing.T, rows [][]any, numberFormat string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	style, err := f.NewStyle(&excelize.Style{CustomNumFmt: &numberFormat})
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		if row == nil {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			t.Fatal(err)
		}
		if err := f.SetRowStyle(sheet, i+1, i+1, style); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestExcelLedgerWithTitleRowAndGCJ02LandsWithinHalfAMetre(t *testing.T) {
	e := newEnv(t)
	truth := map[string][2]float64{"X1": {115.3712, 22.7856}, "X2": {115.6621, 23.0123}, "X3": {116.2507, 22.9011}}
	rows := [][]any{
		{"汕尾市风险点台账（2026年）"}, // a title over the table
		nil,
		{"编号", "名称", "类别", "风险等级", "经度", "纬度"},
	}
	for _, id := range []string{"X1", "X2", "X3"} {
		lon, lat := geo.WGS84ToGCJ02(truth[id][0], truth[id][1])
		rows = append(rows, []any{id, "台账点" + id, "山洪/内涝易涝点", "较大风险", lon, lat})
	}
	rows = append(rows, nil) // a blank row before the end
	// the cells show two decimals (about 1 km): the stored value counts
	path := e.write("ledger.xlsx", workbook(t, rows, "0.00"))
	if f, err := importers.DetectFormat(path, "upload.bin"); err != nil || f != importers.XLSX {
		t.Errorf("detected %q, %v; want xlsx from the content alone", f, err)
	}
	rep := e.run(path, importers.Options{Layer: "risk_points", CRS: "gcj02"})
	if rep.Failed() || rep.Inserted != 3 {
		t.Fatalf("%+v", rep)
	}
	e.landedNearTheTruth(truth, "台账点")
}

func TestExcelProblemsNameTheSheetRowAndRejectsAreAWorkbook(t *testing.T) {
	e := newEnv(t)
	rows := [][]any{
		{"编号", "名称", "类别", "风险等级", "经度", "纬度"},
		{"K1", "好", "flood", 2, 115.3, 23.0},
		{"K2", "纬经颠倒", "fire", 1, 23.0, 115.3}, // row 3: lat/lon swapped
		nil,
		{"K3", "也好", "fire", 1, 116.3, 23.0},
		{"K4", "坏", "volcano", 2, 115.4, 23.1}, // row 6
	}
	before := e.snapshot()
	rep := e.run(e.write("bad.xlsx", workbook(t, rows, "General")), importers.Options{Layer: "risk_points"})
	if !rep.Failed() || rep.Applied || e.snapshot() != before {
		t.Fatalf("all or nothing: %+v", rep)
	}
	if len(rep.Problems) != 2 || rep.Problems[0].Row != 3 || rep.Problems[0].ExternalID != "K2" ||
		!strings.Contains(strings.ToLower(rep.Problems[0].Reason), "swap") || rep.Problems[1].Row != 6 || rep.Problems[1].Field != "category" {
		t.Errorf("problems %+v", rep.Problems)
	}
	rep = e.run(e.write("bad.xlsx", workbook(t, rows, "General")), importers.Options{Layer: "risk_points", SkipInvalid: true})
	if rep.Inserted != 2 || rep.Rejected != 2 || rep.Rejects == nil || !strings.HasSuffix(rep.Rejects.Name, ".rejected.xlsx") {
		t.Fatalf("%+v", rep)
	}
	f, err := excelize.OpenReader(bytes.NewReader(rep.Rejects.Data))
	if err != nil {
		t.Fatalf("rejects are not a workbook: %v", err)
	}
	defer f.Close()
	got, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || strings.Join(got[0], ",") != "编号,名称,类别,风险等级,经度,纬度" || got[1][0] != "K2" || got[2][0] != "K4" {
		t.Errorf("rejects %v", got)
	}
}

func TestExcelHeaderProblemsAreNamed(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		name string
		rows [][]any
		want string
	}{
		{"no header", [][]any{{"只有标题"}}, "no header row"},
		{"column named twice", [][]any{{"名称", "名称", "经度"}}, "twice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep := e.run(e.write("h.xlsx", workbook(t, c.rows, "General")), importers.Options{Layer: "risk_points"})
			if !rep.Failed() || !strings.Contains(rep.Error, c.want) {
				t.Errorf("%+v, want an error saying %q", rep, c.want)
			}
		})
	}
}
