package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"riskmap/api"
	"riskmap/audit"
	"riskmap/auth"
	"riskmap/features"
	"riskmap/tiles"
)

// jaggedFixture redraws the boundary between the townships 新港 and 香洲,
// and the edge between grids 001 and 002, through vertices with all
// seventeen significant digits, as surveyed boundaries have: a round trip
// that rounds any of them moves a grid off its neighbour or its township.
func jaggedFixture(t *testing.T, e *env) {
	t.Helper()
	const (
		west  = "POLYGON((115 22.5, 116 22.5, 116.00012345678901 23.009876543210123, 116 23.5, 115 23.5, 115 22.5))"
		east  = "POLYGON((116 22.5, 116.5 22.5, 116.5 23.5, 116 23.5, 116.00012345678901 23.009876543210123, 116 22.5))"
		grid1 = "POLYGON((115 22.5, 115.51234567890123 22.5, 115.48765432109877 23.012345678901234, 115.5 23.5, 115 23.5, 115 22.5))"
		grid2 = "POLYGON((115.51234567890123 22.5, 116 22.5, 116.00012345678901 23.009876543210123, 116 23.5, 115.5 23.5, 115.48765432109877 23.012345678901234, 115.51234567890123 22.5))"
	)
	ctx := context.Background()
	tx, err := e.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, sql := range []string{
		"SET CONSTRAINTS ALL DEFERRED",
		"UPDATE areas SET geom = ST_Multi(ST_GeomFromText('" + west + "', 4326)) WHERE code IN ('441502001000', '441502001001')",
		"UPDATE areas SET geom = ST_Multi(ST_GeomFromText('" + east + "', 4326)) WHERE code IN ('441502002000', '441502002001')",
		"UPDATE grids SET geom = ST_Multi(ST_GeomFromText('" + grid1 + "', 4326)) WHERE code = '441502001001001'",
		"UPDATE grids SET geom = ST_Multi(ST_GeomFromText('" + grid2 + "', 4326)) WHERE code = '441502001001002'",
		"UPDATE grids SET geom = ST_Multi(ST_GeomFromText('" + east + "', 4326)) WHERE code = '441502002001001'",
	} {
		if _, err := tx.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// layerState fingerprints what a round trip must leave alone: every
// feature's version and updated_at, the audit log's length and the grids'
// integrity report.
func (e *env) layerState(layer string) string {
	e.t.Helper()
	var s string
	err := e.pool.QueryRow(context.Background(), `SELECT count(*) || ' ' || coalesce(string_agg(id || ':' || version || ':' || updated_at || ':' || ST_AsEWKT(geom), ',' ORDER BY id), '')
		|| ' audit=' || (SELECT count(*) FROM audit_log) FROM `+layer).Scan(&s)
	if err != nil {
		e.t.Fatalf("state of %s: %v", layer, err)
	}
	res := e.do("GET", "/api/v1/grids/integrity", "admin", nil, nil)
	var rep struct {
		Gaps     []any `json:"gaps"`
		Overlaps []any `json:"overlaps"`
	}
	_ = json.Unmarshal(res.Body, &rep)
	return fmt.Sprintf("%s integrity: %d gaps, %d overlaps", s, len(rep.Gaps), len(rep.Overlaps))
}

// roundTripPoints creates risk points whose coordinates and values use
// everything the layer has: 17-digit coordinates, every text field, a
// population and a date (and one without).
func roundTripPoints(t *testing.T, e *env) {
	t.Helper()
	for i, p := range []struct {
		lon, lat float64
		date     any
	}{{115.23456789012345, 23.012345678901234, "2026-03-14"}, {115.71234567890123, 22.987654321098765, nil}, {116.2345678901234, 23.1234567890123, "2025-12-31"}} {
		props := map[string]any{"external_id": fmt.Sprintf("RT-%d", i+1), "name": fmt.Sprintf("往返点%d", i+1), "category": "flood", "risk_level": 2,
			"address": "海滨大道" + fmt.Sprint(i+1) + "号", "responsible_unit": "城区应急管理局", "responsible_person": "林小明",
			"phone": "0660-3388123", "population_exposed": 120 + i, "last_inspection": p.date, "status": "active"}
		res := e.do("POST", "/api/v1/risk_points", "admin", pointFeature(p.lon, p.lat, props), nil)
		if res.StatusCode != 201 {
			t.Fatalf("create: %d %s", res.StatusCode, res.Body)
		}
	}
}

func TestAFetchedGridPatchedBackUnchangedChangesNothing(t *testing.T) {
	e := newEnv(t)
	jaggedFixture(t, e)
	id := gridIDs(e)["441502001001002"]
	path := fmt.Sprintf("/api/v1/grids/%d", id)
	got := e.do("GET", path, "admin", nil, nil)
	before := e.layerState("grids")
	if !strings.Contains(before, "0 gaps, 0 overlaps") {
		t.Fatalf("the fixture is not clean: %s", before)
	}
	res := e.do("PATCH", path, "admin", got.Body, nil, "If-Match", got.Header.Get("ETag"))
	if res.StatusCode != 200 || res.Header.Get("ETag") != got.Header.Get("ETag") {
		t.Fatalf("PATCH of what was fetched: %d ETag %s (was %s): %s", res.StatusCode, res.Header.Get("ETag"), got.Header.Get("ETag"), res.Body)
	}
	if after := e.layerState("grids"); after != before {
		t.Fatalf("sending back what was fetched changed the grids:\n%s\n%s", before, after)
	}
	// a partial feature: geometry and properties without "type"
	var f struct {
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	_ = json.Unmarshal(got.Body, &f)
	partial, _ := json.Marshal(map[string]any{"geometry": f.Geometry, "properties": map[string]any{"worker": "赵六"}})
	res = e.do("PATCH", path, "admin", partial, nil, "If-Match", got.Header.Get("ETag"))
	if res.StatusCode != 200 || res.Header.Get("ETag") == got.Header.Get("ETag") || !strings.Contains(string(res.Body), "赵六") {
		t.Fatalf("PATCH of a partial feature without \"type\": %d %s", res.StatusCode, res.Body)
	}
}

func TestExportsImportBackChangingNothing(t *testing.T) {
	e := newEnv(t)
	jaggedFixture(t, e)
	roundTripPoints(t, e)
	for _, layer := range []string{"grids", "risk_points"} {
		for _, format := range []string{"geojson", "gpkg"} {
			t.Run(layer+"/"+format, func(t *testing.T) {
				before := e.layerState(layer)
				exp := e.do("GET", "/api/v1/"+layer+"/export?format="+format, "admin", nil, nil)
				if exp.StatusCode != 200 {
					t.Fatalf("export: %d %s", exp.StatusCode, exp.Body)
				}
				code, job := e.upload("admin", layer+"."+format, exp.Body, map[string]string{"layer": layer})
				if code != 202 {
					t.Fatalf("upload: %d %v", code, job)
				}
				job = e.waitImport(job["id"])
				var n float64
				if err := e.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+layer).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if job["status"] != "done" || job["inserted"] != float64(0) || job["updated"] != float64(0) || job["valid"] != n {
					t.Errorf("re-import of its own export: want done with all %v rows unchanged, got %v", n, job)
				}
				if after := e.layerState(layer); after != before {
					t.Errorf("re-importing its own export changed %s:\n%s\n%s", layer, before, after)
				}
			})
		}
	}
}

// TestAShapefileMadeByOgr2ogrImportsBack saves riskmap's export as a
// Shapefile with GDAL, as QGIS does (UTF-8, field names cut to ten
// characters), zips it and imports it: the same features, nothing
// inserted, nothing dropped.
func TestAShapefileMadeByOgr2ogrImportsBack(t *testing.T) {
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		t.Fatal("ogr2ogr (gdal-bin) is needed: make test installs it")
	}
	e := newEnv(t)
	roundTripPoints(t, e)
	exp := e.do("GET", "/api/v1/risk_points/export?format=gpkg", "admin", nil, nil)
	dir := t.TempDir()
	gpkg := filepath.Join(dir, "risk_points.gpkg")
	if err := os.WriteFile(gpkg, exp.Body, 0o644); err != nil {
		t.Fatal(err)
	}
	var shp string
	zipDir := func() []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		entries, _ := os.ReadDir(shp)
		for _, en := range entries {
			data, _ := os.ReadFile(filepath.Join(shp, en.Name()))
			w, _ := zw.Create(en.Name())
			w.Write(data)
		}
		zw.Close()
		return b.Bytes()
	}
	plain := filepath.Join(dir, "plain")
	if out, err := exec.Command("ogr2ogr", "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", plain, gpkg, "-nln", "risk_points").CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v %s", err, out)
	}
	shp = plain
	before := e.layerState("risk_points")
	code, job := e.upload("admin", "risk_points.zip", zipDir(), map[string]string{"layer": "risk_points"})
	if code != 202 {
		t.Fatalf("upload: %d %v", code, job)
	}
	job = e.waitImport(job["id"])
	if job["status"] != "done" || job["inserted"] != float64(0) || job["updated"] != float64(0) || job["valid"] != float64(3) {
		t.Fatalf("Shapefile round trip: want 3 unchanged and nothing inserted, got %v", job)
	}
	if after := e.layerState("risk_points"); after != before {
		t.Fatalf("the Shapefile round trip changed risk_points:\n%s\n%s", before, after)
	}

	// the same Shapefile with a responsible person changed and a column
	// no field has: refused, naming the column, unless told to ignore it
	shp = filepath.Join(dir, "extra")
	if out, err := exec.Command("ogr2ogr", "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", "-dialect", "SQLite",
		"-sql", "SELECT geom, external_id, name, category, risk_level, address, responsible_unit, '李四' AS responsible_person, phone, population_exposed, last_inspection, status, 'x' AS remark FROM risk_points",
		shp, gpkg, "-nln", "risk_points").CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v %s", err, out)
	}
	_, job = e.upload("admin", "risk_points.zip", zipDir(), map[string]string{"layer": "risk_points"})
	job = e.waitImport(job["id"])
	if job["status"] != "rejected" || !strings.Contains(fmt.Sprint(job), "remark") {
		t.Fatalf("a column that maps to no field: want the import refused naming it, got %v", job)
	}
	_, job = e.upload("admin", "risk_points.zip", zipDir(), map[string]string{"layer": "risk_points", "ignore": "remark"})
	job = e.waitImport(job["id"])
	if job["status"] != "done" || job["inserted"] != float64(0) || job["updated"] != float64(3) {
		t.Fatalf("with ignore=remark: want 3 updated, got %v", job)
	}
	var person string
	if err := e.pool.QueryRow(context.Background(), "SELECT string_agg(DISTINCT responsible_person, ',') FROM risk_points").Scan(&person); err != nil || person != "李四" {
		t.Fatalf("responsible_person after the import: %q %v", person, err)
	}
}

func TestAValidButStaleEntityTagIs412(t *testing.T) {
	e := newEnv(t)
	var f feature
	e.do("POST", "/api/v1/risk_points", "admin", pointFeature(115.2, 23.0, riskProps()), &f)
	path := fmt.Sprintf("/api/v1/risk_points/%d", f.ID)
	for _, c := range []struct {
		ifMatch string
		status  int
	}{
		{`"abc-0"`, http.StatusPreconditionFailed},
		{`W/"1"`, http.StatusPreconditionFailed}, // If-Match compares strongly
		{`"7", "8"`, http.StatusPreconditionFailed},
		{`""`, http.StatusPreconditionFailed},
		{`abc`, http.StatusBadRequest}, // not an entity tag at all
		{`"unterminated`, http.StatusBadRequest},
	} {
		if res := e.do("DELETE", path, "admin", nil, nil, "If-Match", c.ifMatch); res.StatusCode != c.status {
			t.Errorf("DELETE If-Match %s: %d, want %d: %s", c.ifMatch, res.StatusCode, c.status, res.Body)
		}
		if res := e.do("PATCH", path, "admin", `{"properties":{"risk_level":1}}`, nil, "If-Match", c.ifMatch); res.StatusCode != c.status {
			t.Errorf("PATCH If-Match %s: %d, want %d: %s", c.ifMatch, res.StatusCode, c.status, res.Body)
		}
	}
	// one of a list that matches, and a partial body without "type"
	res := e.do("PATCH", path, "admin", `{"properties":{"risk_level":1}}`, &f, "If-Match", `"9", "1"`)
	if res.StatusCode != 200 || f.Properties["risk_level"] != float64(1) {
		t.Fatalf("PATCH with a matching tag in a list: %d %s", res.StatusCode, res.Body)
	}
	if res := e.do("DELETE", path, "admin", nil, nil, "If-Match", `"2"`); res.StatusCode != 204 {
		t.Fatalf("DELETE with the current tag: %d %s", res.StatusCode, res.Body)
	}
}

// TestUnknownPathsOutsideTheAppAre404 asks for a glyph range the app does
// not have and for unknown paths under every prefix the server owns: each
// is a JSON 404, never the app's page with 200 (MapLibre then draws the
// labels it has, and a script learns the path is wrong).
func TestUnknownPathsOutsideTheAppAre404(t *testing.T) {
	e := newEnv(t)
	s := &api.Server{
		Features: features.NewStore(e.pool),
		Auth:     auth.NewService(e.pool, time.Hour, auth.NewLimiter(50, time.Minute)),
		Audit:    audit.NewLog(e.pool),
		DB:       e.pool,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		MaxBody:  64 << 10,
		Web: fstest.MapFS{
			"index.html":                        {Data: []byte("<html>app</html>")},
			"fonts/Noto Sans Regular/0-255.pbf": {Data: []byte("glyphs")},
		},
		Tiles: tiles.NewService(e.pool, tiles.Options{CacheBytes: 1 << 20, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}),
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	get := func(path string) (int, string, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+e.token["admin"])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("Content-Type"), string(b)
	}
	if code, _, body := get("/fonts/Noto%20Sans%20Regular/0-255.pbf"); code != 200 || body != "glyphs" {
		t.Fatalf("a glyph range the app has: %d %q", code, body)
	}
	if code, _, body := get("/grids/board"); code != 200 || !strings.Contains(body, "app") {
		t.Fatalf("an app route: %d %q", code, body)
	}
	for _, p := range []string{
		"/fonts/Noto%20Sans%20Regular/65280-65535.pbf", "/fonts/Unknown%20Font/0-255.pbf", "/fonts/",
		"/api/nothing", "/api/v1/nothing/here", "/api", "/tiles/nothing", "/tiles/risk_points/1/2.mvt", "/ogc/nothing",
		"/ogc/collections/nothing/items", "/styles/nothing.json", "/styles/", "/openapi.json/x",
	} {
		code, ctype, body := get(p)
		if code != 404 || !strings.HasPrefix(ctype, "application/json") || strings.Contains(body, "<html") {
			t.Errorf("GET %s: %d %s %.80q, want a JSON 404", p, code, ctype, body)
		}
	}
}

// TestTheStylePassesTheOfficialValidator runs gl-style-validate from
// @maplibre/maplibre-gl-style-spec (the web app's dependency) on the style
// exactly as served.
func TestTheStylePassesTheOfficialValidator(t *testing.T) {
	validator, err := filepath.Abs("../web/node_modules/@maplibre/maplibre-gl-style-spec/dist/gl-style-validate.mjs")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(validator); err != nil {
		t.Fatalf("gl-style-validate is missing (%v): make web installs the web app's packages", err)
	}
	e := newEnv(t)
	res := e.do("GET", "/styles/riskmap.json", "admin", nil, nil)
	if res.StatusCode != 200 {
		t.Fatalf("style: %d %s", res.StatusCode, res.Body)
	}
	path := filepath.Join(t.TempDir(), "riskmap.json")
	if err := os.WriteFile(path, res.Body, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("node", validator, path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("gl-style-validate: %v\n%s", err, out)
	}
}
