package api_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pdfText extracts a PDF's text with poppler's pdftotext, as a reader
// would copy it (scripts/deps.sh installs poppler-utils for make test).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is missing: make test installs poppler-utils (scripts/deps.sh)")
	}
	f := filepath.Join(t.TempDir(), "map.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// A printed map is a PDF drawn on the server with the area's name as its
// title, a legend headed 图例, a scale bar, the date and who printed it,
// in Chinese text a reader can copy (an embedded font).
func TestPrintDrawsAPDFWithTitleAndLegend(t *testing.T) {
	e := newEnv(t)
	for _, c := range [][2]float64{{115.2, 23.0}, {115.7, 23.1}} {
		e.do("POST", "/api/v1/risk_points", "admin", pointFeature(c[0], c[1], riskProps()), nil)
	}
	for _, size := range []string{"A4&orientation=landscape", "A3&orientation=portrait"} {
		res := e.do("GET", "/api/v1/print?area=441502001000&size="+size, "xingang", nil, nil)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(res.Body, []byte("%PDF-")) {
			t.Fatalf("%s: %d %s %.200s", size, res.StatusCode, res.Header.Get("Content-Type"), res.Body)
		}
		text := pdfText(t, res.Body)
		for _, want := range []string{"新港街道 安全风险分布图", "图例", "风险点：重大风险", "比例尺 1:", "打印人：xingang", "制图日期：", "风险点 2 处"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: %q missing from the text:\n%s", size, want, text)
			}
		}
	}
	// a grid, for its worker
	if res := e.do("GET", "/api/v1/print?area=441502001001001", "worker1", nil, nil); res.StatusCode != 200 || !strings.Contains(pdfText(t, res.Body), "立新第1网格") {
		t.Errorf("worker's grid: %d", res.StatusCode)
	}
	for path, want := range map[string]int{
		"/api/v1/print?area=441521000000":                         404, // 海丰, not 新港's
		"/api/v1/print?area=441502000000":                         403, // the county holding 新港: larger than its area
		"/api/v1/print?area=441502001000&size=A0":                 400,
		"/api/v1/print?area=441502001000&orientation=diagonal":    400,
		"/api/v1/print?area=441502001000&layers=risk_points,moon": 400,
		"/api/v1/print?area=abc":                                  400,
	} {
		if res := e.do("GET", path, "xingang", nil, nil); res.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, res.StatusCode, want)
		}
	}
}
