package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"mime/multipart"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"riskmap/importers"
)

// upload posts a multipart import as user and returns the status and job.
func (e *env) upload(user, filename string, data []byte, fields map[string]string) (int, map[string]any) {
	e.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", filename)
	fw.Write(data)
	mw.Close()
	var job map[string]any
	res := e.do("POST", "/api/v1/imports", user, b.Bytes(), &job, "Content-Type", mw.FormDataContentType())
	return res.StatusCode, job
}

// waitImport polls the job until it finishes.
func (e *env) waitImport(id any) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var job map[string]any
		res := e.do("GET", fmt.Sprintf("/api/v1/imports/%v", id), "admin", nil, &job)
		if res.StatusCode != 200 {
			e.t.Fatalf("job: %d %s", res.StatusCode, res.Body)
		}
		switch job["status"] {
		case "done", "rejected", "failed", "interrupted":
			return job
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatal("the import did not finish in 30 s")
	return nil
}

func TestImportUploadRunsAsAJobWithReportAndRejects(t *testing.T) {
	e := newEnv(t)
	csv := "编号,名称,类别,风险等级,经度,纬度\nU1,上传点一,flood,2,115.3,23.0\nU2,上传点二,volcano,2,115.3,23.0\nU3,海丰点,fire,1,116.7,23.0\n"
	if code, _ := e.upload("xingang", "up.csv", []byte(csv), map[string]string{"layer": "risk_points"}); code != 403 {
		t.Fatalf("a township office may not import: %d", code)
	}
	code, job := e.upload("admin", "up.csv", []byte(csv), map[string]string{"layer": "risk_points", "skip_invalid": "true"})
	if code != 202 {
		t.Fatalf("upload: %d %v", code, job)
	}
	job = e.waitImport(job["id"])
	if job["status"] != "done" || job["inserted"] != float64(2) || job["rejected"] != float64(1) || job["has_rejects"] != true {
		t.Fatalf("job %v", job)
	}
	var rep importers.Report
	res := e.do("GET", fmt.Sprintf("/api/v1/imports/%v/report", job["id"]), "admin", nil, &rep)
	if res.StatusCode != 200 || len(rep.Problems) != 1 || rep.Problems[0].Row != 2 || rep.Problems[0].ExternalID != "U2" || rep.Problems[0].Field != "category" {
		t.Fatalf("report %d %+v", res.StatusCode, rep)
	}
	res = e.do("GET", fmt.Sprintf("/api/v1/imports/%v/rejects", job["id"]), "admin", nil, nil)
	if res.StatusCode != 200 || !strings.Contains(string(res.Body), "U2,上传点二,volcano") || strings.Contains(string(res.Body), "U1") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "rejected.csv") {
		t.Fatalf("rejects %d %s %s", res.StatusCode, res.Header, res.Body)
	}
	// audited as the uploader
	var actor string
	if err := e.pool.QueryRow(context.Background(), `SELECT actor FROM audit_log WHERE tbl = 'risk_points' AND after ->> 'external_id' = 'U1'`).Scan(&actor); err != nil || actor != "admin (admin)" {
		t.Fatalf("audit actor %q: %v", actor, err)
	}
	// all or nothing without skip_invalid: nothing changes and the job says rejected
	before := e.snapshot()
	_, job = e.upload("admin", "again.csv", []byte(strings.Replace(csv, "U1,", "U9,", 1)), map[string]string{"layer": "risk_points"})
	job = e.waitImport(job["id"])
	if job["status"] != "rejected" || e.snapshot() != before {
		t.Fatalf("all-or-nothing upload: %v", job)
	}
	// a missing layer is named
	if code, body := e.upload("admin", "x.csv", []byte(csv), nil); code != 400 {
		t.Fatalf("no layer: %d %v", code, body)
	}
	// so is a bulk mode that is not one; a bulk load of the valid rows works
	if code, body := e.upload("admin", "x.csv", []byte(csv), map[string]string{"layer": "risk_points", "bulk": "sometimes"}); code != 400 ||
		!strings.Contains(fmt.Sprint(body), "bulk") {
		t.Fatalf("bulk=sometimes: %d %v", code, body)
	}
	valid := "编号,名称,类别,风险等级,经度,纬度\nB1,批量点一,flood,2,115.3,23.0\nB2,批量点二,fire,1,116.7,23.0\n"
	_, job = e.upload("admin", "bulk.csv", []byte(valid), map[string]string{"layer": "risk_points", "bulk": "on"})
	if job = e.waitImport(job["id"]); job["status"] != "done" || job["inserted"] != float64(2) || job["applied"] != float64(2) {
		t.Fatalf("bulk upload: %v", job)
	}
	res = e.do("GET", fmt.Sprintf("/api/v1/imports/%v/report", job["id"]), "admin", nil, &rep)
	if res.StatusCode != 200 || !rep.Bulk || rep.Inserted != 2 {
		t.Fatalf("bulk report %d %+v", res.StatusCode, rep)
	}
}

func seedExport(t *testing.T, e *env) {
	t.Helper()
	for i, c := range [][2]float64{{115.25, 23.0}, {115.75, 23.0}, {116.25, 23.0}, {116.75, 23.0}, {115.26, 23.1}} {
		props := riskProps()
		props["name"] = fmt.Sprintf("导出点%d", i)
		if res := e.do("POST", "/api/v1/risk_points", "admin", pointFeature(c[0], c[1], props), nil); res.StatusCode != 201 {
			t.Fatalf("seed: %d %s", res.StatusCode, res.Body)
		}
	}
}

func TestExportsHonourScopeAndFilters(t *testing.T) {
	e := newEnv(t)
	seedExport(t, e)
	// planner sees 城区 (three of 新港/香洲 and not 海丰)
	res := e.do("GET", "/api/v1/risk_points/export?format=csv", "planner", nil, nil)
	body := string(res.Body)
	if res.StatusCode != 200 || !strings.HasPrefix(body, "\ufeffid,external_id,name,") || strings.Count(body, "\n") != 5 || strings.Contains(body, "116.75") ||
		!strings.Contains(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv %d:\n%s", res.StatusCode, body)
	}
	var fc struct{ Features []feature }
	res = e.do("GET", "/api/v1/risk_points/export?format=geojson&grid_code=441502001001001", "admin", nil, &fc)
	if res.StatusCode != 200 || len(fc.Features) != 2 {
		t.Fatalf("filtered geojson: %d %d features", res.StatusCode, len(fc.Features))
	}
	res = e.do("GET", "/api/v1/risk_points/export?format=geojson&bbox=115,22.5,115.5,23.5", "worker1", nil, &fc)
	if res.StatusCode != 200 || len(fc.Features) != 2 {
		t.Fatalf("worker bbox export: %d features", len(fc.Features))
	}
	if res := e.do("GET", "/api/v1/risk_points/export?password_hash=x", "admin", nil, nil); res.StatusCode != 400 {
		t.Fatalf("unknown filter: %d", res.StatusCode)
	}
	res = e.do("GET", "/api/v1/risk_points/export?format=gpkg", "chengqu", nil, nil)
	if res.StatusCode != 200 {
		t.Fatalf("gpkg %d %s", res.StatusCode, res.Body)
	}
	path := filepath.Join(t.TempDir(), "out.gpkg")
	os.WriteFile(path, res.Body, 0o644)
	r, err := importers.Open(path, importers.GPKG, importers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		rec, err := r.Next()
		if err != nil {
			break
		}
		n++
		if rec.Cells["county_code"] != "441502000000" || !strings.HasPrefix(rec.Cells["name"].(string), "导出点") {
			t.Errorf("gpkg row %+v", rec.Cells)
		}
	}
	if n != 4 {
		t.Fatalf("gpkg rows %d, want 4", n)
	}
}

func TestOGCItemsPageWithNextLinksInScope(t *testing.T) {
	e := newEnv(t)
	seedExport(t, e)
	var cols struct {
		Collections []struct {
			ID     string
			Extent struct{ Spatial struct{ BBox [][4]float64 } }
		}
	}
	if res := e.do("GET", "/ogc/collections", "xingang", nil, &cols); res.StatusCode != 200 || len(cols.Collections) != 7 { // the six layers and cases
		t.Fatalf("collections: %d %s", res.StatusCode, res.Body)
	}
	for _, c := range cols.Collections {
		if c.ID == "risk_points" && (len(c.Extent.Spatial.BBox) != 1 || c.Extent.Spatial.BBox[0][2] > 116.0) {
			t.Errorf("新港's risk point extent reaches past its township: %v", c.Extent.Spatial.BBox)
		}
	}
	next := "/ogc/collections/risk_points/items?limit=2"
	seen := 0
	for pages := 0; next != "" && pages < 10; pages++ {
		var page struct {
			Features       []feature
			NumberMatched  int
			NumberReturned int
			Links          []struct{ Rel, Href string }
		}
		res := e.do("GET", next, "city", nil, &page)
		if res.StatusCode != 200 || page.NumberMatched != 5 || page.NumberReturned != len(page.Features) {
			t.Fatalf("%s: %d %s", next, res.StatusCode, res.Body)
		}
		seen += len(page.Features)
		next = ""
		for _, l := range page.Links {
			if l.Rel == "next" {
				next = strings.TrimPrefix(l.Href, e.srv.URL)
			}
		}
	}
	if seen != 5 {
		t.Fatalf("paged through %d features, want 5", seen)
	}
}

// GDAL as a real client: ogrinfo lists every collection and counts what
// the database holds; ogr2ogr copies one to a GeoPackage.
func TestGDALReadsTheOGCAPI(t *testing.T) {
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		t.Skip("gdal-bin is not installed (make test installs it through scripts/deps.sh): skipping the GDAL client test")
	}
	e := newEnv(t)
	seedExport(t, e)
	hdr := "Authorization: Bearer " + e.token["admin"]
	src := "OAPIF:" + e.srv.URL + "/ogc"
	out, err := exec.Command("ogrinfo", "-ro", "--config", "GDAL_HTTP_HEADERS", hdr, src).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	for _, layer := range []string{"areas", "grids", "risk_points", "hazard_sources", "stations", "depots"} {
		if !strings.Contains(string(out), layer) {
			t.Errorf("ogrinfo does not list %s:\n%s", layer, out)
		}
		var want int
		queryRow(t, e.pool, "SELECT count(*) FROM "+layer).Scan(&want)
		// -al without -so reads every feature, following the next links
		cnt, err := exec.Command("ogrinfo", "-ro", "-q", "-al", "--config", "GDAL_HTTP_HEADERS", hdr, "--config", "OAPIF_PAGE_SIZE", "2",
			src, layer).CombinedOutput()
		if err != nil {
			t.Fatalf("ogrinfo %s: %v\n%s", layer, err, cnt)
		}
		if got := strings.Count(string(cnt), "OGRFeature("); got != want {
			t.Errorf("%s: GDAL read %d features, the database holds %d", layer, got, want)
		}
	}
	gpkg := filepath.Join(t.TempDir(), "copy.gpkg")
	if out, err := exec.Command("ogr2ogr", "--config", "GDAL_HTTP_HEADERS", hdr, "-f", "GPKG", gpkg, src, "risk_points").CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, out)
	}
	out, err = exec.Command("ogrinfo", "-ro", "-so", "-al", gpkg).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Feature Count: 5") {
		t.Fatalf("the copied GeoPackage: %v\n%s", err, out)
	}
}

// A name a spreadsheet would run (OWASP CSV injection) leaves in the CSV
// export as text: a leading apostrophe, the rest as typed; the stored name
// and the GeoJSON are untouched.
func TestACSVExportNeverHandsASpreadsheetAFormula(t *testing.T) {
	e := newEnv(t)
	const name = `=HYPERLINK("http://example.com/x","点此查看")`
	props := riskProps()
	props["name"] = name
	props["responsible_person"] = "@SUM(A1:A9)"
	if res := e.do("POST", "/api/v1/risk_points", "admin", pointFeature(115.25, 23.0, props), nil); res.StatusCode != 201 {
		t.Fatalf("seed: %d %s", res.StatusCode, res.Body)
	}
	res := e.do("GET", "/api/v1/risk_points/export?format=csv", "admin", nil, nil)
	if res.StatusCode != 200 {
		t.Fatalf("csv %d %s", res.StatusCode, res.Body)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(res.Body), "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("csv: %v, %d rows", err, len(rows))
	}
	for _, cell := range rows[1] {
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !isSignedNumber(cell) {
			t.Errorf("cell %q would run as a formula", cell)
		}
	}
	if !slices.Contains(rows[1], "'"+name) || !slices.Contains(rows[1], "'@SUM(A1:A9)") {
		t.Errorf("the cells should read '%s and '@SUM(A1:A9): %q", name, rows[1])
	}
	var fc struct{ Features []feature }
	e.do("GET", "/api/v1/risk_points/export?format=geojson", "admin", nil, &fc)
	if len(fc.Features) != 1 || fc.Features[0].Properties["name"] != name {
		t.Errorf("the GeoJSON keeps the name as typed: %+v", fc.Features)
	}
}

func isSignedNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil && !strings.ContainsAny(s, "xXnN")
}
