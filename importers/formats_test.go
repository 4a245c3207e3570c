package importers_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/simplifiedchinese"

	"riskmap/geo"
	"riskmap/importers"
)

// metres between two lon/lat points (equirectangular; fine at this scale)
func metres(a, b [2]float64) float64 {
	dx := (a[0] - b[0]) * math.Cos(a[1]*math.Pi/180) * 111320
	dy := (a[1] - b[1]) * 110574
	return math.Hypot(dx, dy)
}

// landedNearTheTruth checks the flood points of level 2 named prefix+id
// that an import of a converted file left in risk_points: each within
// 0.5 m of its WGS84 position.
func (e *env) landedNearTheTruth(truth map[string][2]float64, prefix string) {
	e.t.Helper()
	got := e.export("risk_points")
	for id, want := range truth {
		f := got[id]
		if d := metres([2]float64{f.Coords[0], f.Coords[1]}, want); d > 0.5 {
			e.t.Errorf("%s lands %.3f m from the WGS84 truth", id, d)
		}
		if f.Properties["category"] != "flood" || f.Properties["risk_level"] != float64(2) || f.Properties["name"] != prefix+id {
			e.t.Errorf("%s properties %+v", id, f.Properties)
		}
	}
}

func TestGCJ02CSVWithChineseHeadersLandsWithinHalfAMetre(t *testing.T) {
	e := newEnv(t)
	truth := map[string][2]float64{"A1": {115.3712, 22.7856}, "A2": {115.6621, 23.0123}, "A3": {116.2507, 22.9011}}
	var b strings.Builder
	b.WriteString("\ufeff编号,名称,类别,风险等级,经度,纬度,地址,备注\n")
	for _, id := range []string{"A1", "A2", "A3"} {
		lon, lat := geo.WGS84ToGCJ02(truth[id][0], truth[id][1])
		fmt.Fprintf(&b, "%s,高德点%s,山洪/内涝易涝点,较大风险,%.8f,%.8f,\"汕尾市城区,香洲路%s号\",备注文字\n", id, id, lon, lat, id)
	}
	file := e.write("amap.csv", []byte(b.String()))
	rep := e.run(file, importers.Options{Layer: "risk_points", CRS: "gcj02"})
	if !rep.Failed() || rep.Inserted != 0 || !strings.Contains(rep.Error, "备注") {
		t.Fatalf("a column that maps to no field refuses the file, naming it: %+v", rep)
	}
	rep = e.run(file, importers.Options{Layer: "risk_points", CRS: "gcj02", Ignore: []string{"备注"}})
	if rep.Failed() || rep.Inserted != 3 {
		t.Fatalf("%+v", rep)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "备注") {
		t.Errorf("the ignored column should be named in a warning: %v", rep.Warnings)
	}
	e.landedNearTheTruth(truth, "高德点")
}

func TestBD09CSVWithWKTColumn(t *testing.T) {
	e := newEnv(t)
	truth := [2]float64{115.80, 23.20}
	lon, lat := geo.WGS84ToBD09(truth[0], truth[1])
	csv := fmt.Sprintf("external_id,name,category,risk_level,wkt\nB1,百度点,fire,3,POINT(%.9f %.9f)\n", lon, lat)
	rep := e.run(e.write("baidu.csv", []byte(csv)), importers.Options{Layer: "risk_points", CRS: "bd09"})
	if rep.Failed() {
		t.Fatalf("%+v", rep)
	}
	f := e.export("risk_points")["B1"]
	if d := metres([2]float64{f.Coords[0], f.Coords[1]}, truth); d > 0.5 {
		t.Errorf("BD-09 point lands %.3f m from the truth", d)
	}
}

// gkFixture: truth points in WGS84 and their CGCS2000 3° Gauss-Krüger zone
// 38 (EPSG:4526, central meridian 114°E, with the zone number) coordinates,
// computed by PostGIS.
func gkFixture(t *testing.T, e *env, truth [][2]float64) [][2]float64 {
	t.Helper()
	out := make([][2]float64, len(truth))
	for i, p := range truth {
		err := e.pool.QueryRow(context.Background(), "SELECT ST_X(g), ST_Y(g) FROM ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4490), 4526) g", p[0], p[1]).
			Scan(&out[i][0], &out[i][1])
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestGBKShapefileInGaussKrugerZoneKeepsChineseNames(t *testing.T) {
	e := newEnv(t)
	truth := [][2]float64{{115.3712, 22.7856}, {115.9000, 23.3000}, {116.7010, 22.6020}}
	gk := gkFixture(t, e, truth)
	names := []string{"海丰县梅陇镇危险品仓库", "汕尾港码头", "陆丰·碣石烟花爆竹店"}
	fields := []importers.DBFField{{Name: "编号", Type: 'C', Length: 20}, {Name: "名称", Type: 'C', Length: 60},
		{Name: "类别", Type: 'C', Length: 30}, {Name: "危险源等级", Type: 'N', Length: 2}, {Name: "LICEXP", Type: 'D', Length: 8}, {Name: "信用代码", Type: 'C', Length: 18}}
	var rows []importers.ShapeRow
	for i, p := range gk {
		rows = append(rows, importers.ShapeRow{Geom: orb.Point{p[0], p[1]}, Values: []string{fmt.Sprintf("HS-%d", i+1), names[i], "烟花爆竹", "2", "2026-12-31", uscc(fmt.Sprintf("91441500MA4%06d", i))}})
	}
	var zip bytes.Buffer
	if err := importers.WriteShapefileZip(&zip, "危险源", importers.SourceCRS{SRID: 4526}, importers.GBK, fields, rows); err != nil {
		t.Fatal(err)
	}
	path := e.write("hazards.zip", zip.Bytes())
	rep := e.run(path, importers.Options{Layer: "hazard_sources", Mapping: map[string]string{"LICEXP": "licence_expiry"}})
	if rep.Failed() || rep.Inserted != 3 || rep.CRS != "EPSG:4526" || rep.Encoding != "gbk" {
		t.Fatalf("%+v", rep)
	}
	got := e.export("hazard_sources")
	for i, p := range truth {
		f := got[fmt.Sprintf("HS-%d", i+1)]
		if f.Properties["name"] != names[i] {
			t.Errorf("name %q came back as %q", names[i], f.Properties["name"])
		}
		if f.Properties["category"] != "fireworks" || f.Properties["major_hazard_level"] != float64(2) || f.Properties["licence_expiry"] != "2026-12-31" {
			t.Errorf("properties %+v", f.Properties)
		}
		if d := metres([2]float64{f.Coords[0], f.Coords[1]}, p); d > 0.01 {
			t.Errorf("HS-%d lands %.4f m from the truth", i+1, d)
		}
	}
}

func TestGeoPackageRoundTrip(t *testing.T) {
	e := newEnv(t)
	path := filepath.Join(e.dir, "stations.gpkg")
	w, err := importers.NewGPKGWriter(path, "stations", "POINT", 0, "", []importers.GPKGColumn{
		{Name: "external_id", Type: "TEXT"}, {Name: "name", Type: "TEXT"}, {Name: "kind", Type: "TEXT"},
		{Name: "staff", Type: "INTEGER"}, {Name: "on_duty_24h", Type: "BOOLEAN"}})
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Write(orb.Point{115.31, 22.81}, "ST-1", "新港应急办", "office", int64(5), int64(1))
	_ = w.Write(orb.Point{116.71, 23.11}, "ST-2", "梅陇救援队", "应急救援队", int64(20), int64(0))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rep := e.run(path, importers.Options{Layer: "stations"})
	if rep.Failed() || rep.Inserted != 2 || rep.Format != importers.GPKG {
		t.Fatalf("%+v", rep)
	}
	got := e.export("stations")
	if s := got["ST-2"]; s.Properties["kind"] != "rescue_team" || s.Properties["staff"] != float64(20) || s.Properties["on_duty_24h"] != false ||
		s.Coords[0] != 116.71 || s.Coords[1] != 23.11 {
		t.Errorf("ST-2 %+v %v", s.Properties, s.Coords)
	}
	if s := got["ST-1"]; s.Properties["on_duty_24h"] != true || s.Properties["name"] != "新港应急办" {
		t.Errorf("ST-1 %+v", s.Properties)
	}
}

func TestGridsImportByCodeWithPolygons(t *testing.T) {
	e := newEnv(t)
	// redraw the shared edge of grids 001 and 002 at 115.4 instead of 115.5:
	// valid only when both change together
	fc := mustJSON(map[string]any{"type": "FeatureCollection", "features": []any{
		map[string]any{"type": "Feature", "properties": map[string]any{"code": "441502001001001", "name": "立新第1网格"},
			"geometry": map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{115.0, 22.5}, {115.4, 22.5}, {115.4, 23.5}, {115.0, 23.5}, {115.0, 22.5}}}}},
		map[string]any{"type": "Feature", "properties": map[string]any{"code": "441502001001002", "name": "立新第2网格"},
			"geometry": map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{115.4, 22.5}, {116.0, 22.5}, {116.0, 23.5}, {115.4, 23.5}, {115.4, 22.5}}}}},
	}})
	rep := e.run(e.write("grids.geojson", fc), importers.Options{Layer: "grids"})
	if rep.Failed() || rep.Updated != 2 {
		t.Fatalf("%+v", rep)
	}
	if w := e.export("grids")["441502001001002"].Properties["worker"]; w != "李娜" {
		t.Errorf("a column the file did not carry was changed: worker %v", w)
	}
}

func TestBadFilesGetAReportAndChangeNothing(t *testing.T) {
	e := newEnv(t)
	good := collection(pointFeature("G-1", 115.25, 23.0, nil), pointFeature("G-2", 115.75, 23.0, nil))
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String("编号,名称,类别,风险等级,经度,纬度\nC1,新港风险点,flood,2,115.3,23.0\n")
	cases := []struct {
		name, file string
		data       []byte
		opts       importers.Options
		field      string // a problem must name this field (or the file error this text)
		reason     string
	}{
		{"truncated GeoJSON", "cut.geojson", good[:len(good)-40], importers.Options{Layer: "risk_points"}, "", "ends early"},
		{"GBK read as UTF-8", "gbk.csv", []byte(gbk), importers.Options{Layer: "risk_points"}, "", "--encoding gbk"},
		{"invalid polygon", "bowtie.geojson", mustJSON(map[string]any{"type": "FeatureCollection", "features": []any{map[string]any{"type": "Feature",
			"properties": map[string]any{"code": "441502001001001", "name": "自交网格"},
			"geometry":   map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{115.0, 22.5}, {115.5, 23.5}, {115.5, 22.5}, {115.0, 23.5}, {115.0, 22.5}}}}}}}),
			importers.Options{Layer: "grids"}, "geometry", "Self-intersection"},
		{"points outside the city", "outside.geojson", collection(pointFeature("O-1", 115.25, 23.0, nil), pointFeature("O-2", 120.5, 30.1, nil)),
			importers.Options{Layer: "risk_points"}, "geometry", "outside the city"},
		{"swapped lat/lon", "swapped.geojson", collection(pointFeature("W-1", 23.0, 115.25, nil)),
			importers.Options{Layer: "risk_points"}, "geometry", "did you mean [115.25, 23]"},
		{"missing columns", "nocoords.csv", []byte("编号,名称,类别\nM1,缺坐标,flood\n"), importers.Options{Layer: "risk_points"}, "geometry", "missing"},
		{"missing required field", "norisk.csv", []byte("编号,名称,类别,经度,纬度\nM1,缺等级,flood,115.3,23.0\n"), importers.Options{Layer: "risk_points"}, "risk_level", "required"},
		{"mixed geometry types", "mixed.geojson", collection(pointFeature("X-1", 115.25, 23.0, nil), map[string]any{"type": "Feature",
			"properties": map[string]any{"external_id": "X-2", "name": "线", "category": "flood", "risk_level": 2},
			"geometry":   map[string]any{"type": "LineString", "coordinates": [][]float64{{115.2, 23}, {115.3, 23}}}}),
			importers.Options{Layer: "risk_points"}, "geometry", "LineString is not allowed"},
		{"unknown enum", "enum.geojson", collection(pointFeature("E-1", 115.25, 23.0, map[string]any{"category": "volcano"})),
			importers.Options{Layer: "risk_points"}, "category", "unknown value"},
		{"duplicate external ids", "dups.geojson", collection(pointFeature("D-1", 115.25, 23.0, nil), pointFeature("D-1", 115.35, 23.0, nil)),
			importers.Options{Layer: "risk_points"}, "external_id", "appears 2 times"},
		{"point in no grid", "nogrid.geojson", collection(pointFeature("N-1", 115.25, 23.55, nil)),
			importers.Options{Layer: "risk_points"}, "geometry", "lies in no grid"},
		{"empty", "empty.csv", []byte(""), importers.Options{Layer: "risk_points"}, "", "empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.snapshot()
			rep := e.run(e.write(c.file, c.data), c.opts)
			if !rep.Failed() {
				t.Fatalf("accepted: %+v", rep)
			}
			if c.field == "" {
				if !strings.Contains(rep.Error, c.reason) {
					t.Errorf("file error %q, want it to say %q", rep.Error, c.reason)
				}
			} else {
				found := false
				for _, p := range rep.Problems {
					if strings.HasPrefix(p.Field, c.field) && strings.Contains(p.Reason, c.reason) && p.Row > 0 {
						found = true
					}
				}
				if !found {
					t.Errorf("no problem on %s saying %q: %+v", c.field, c.reason, rep.Problems)
				}
			}
			if e.snapshot() != before {
				t.Fatal("the database changed")
			}
		})
	}
}

func TestSkipInvalidLoadsTheRestAndWritesRejectsInTheInputFormat(t *testing.T) {
	e := newEnv(t)
	csv := "编号,名称,类别,风险等级,经度,纬度\nK1,好,flood,2,115.3,23.0\nK2,坏,volcano,2,115.3,23.0\nK3,也好,fire,1,116.3,23.0\nK4,在外,fire,1,121.0,31.0\nK5,\"=HYPERLINK(\"\"http://x\"\")\",volcano,1,115.3,23.0\n"
	path := e.write("mixed.csv", []byte(csv))
	rep := e.run(path, importers.Options{Layer: "risk_points", SkipInvalid: true})
	if rep.Inserted != 2 || rep.Rejected != 3 || !rep.Failed() || rep.Rejects == nil {
		t.Fatalf("%+v", rep)
	}
	if len(rep.Problems) != 3 || rep.Problems[0].Row != 2 || rep.Problems[0].ExternalID != "K2" || rep.Problems[1].Row != 4 {
		t.Errorf("problems %+v", rep.Problems)
	}
	data := strings.TrimPrefix(string(rep.Rejects.Data), "\ufeff")
	if !strings.HasPrefix(data, "编号,名称,类别,风险等级,经度,纬度\n") || !strings.Contains(data, "K2,坏,volcano") || !strings.Contains(data, "K4,在外") || strings.Contains(data, "K1") {
		t.Errorf("rejects file:\n%s", data)
	}
	// a cell a spreadsheet would run goes back as text (security's
	// review: the rejects open in an admin's Excel)
	if !strings.Contains(data, `K5,"'=HYPERLINK(""http://x"")"`) {
		t.Errorf("the rejects file hands Excel a formula:\n%s", data)
	}
	// the rejects, fixed, import cleanly
	fixed := strings.NewReplacer("volcano", "flood", "121.0,31.0", "116.8,23.2").Replace(data)
	rep = e.run(e.write("fixed.csv", []byte(fixed)), importers.Options{Layer: "risk_points"})
	if rep.Failed() || rep.Inserted != 3 {
		t.Fatalf("fixed rejects: %+v", rep)
	}
	if n := len(e.export("risk_points")); n != 5 {
		t.Fatalf("%d points, want 5", n)
	}
}

func TestSkipInvalidShapefileRejectsAreAShapefile(t *testing.T) {
	e := newEnv(t)
	fields := []importers.DBFField{{Name: "编号", Type: 'C', Length: 10}, {Name: "name", Type: 'C', Length: 30}, {Name: "kind", Type: 'C', Length: 20}}
	rows := []importers.ShapeRow{
		{Geom: orb.Point{115.2, 23.0}, Values: []string{"S1", "办公室", "office"}},
		{Geom: orb.Point{115.2, 23.0}, Values: []string{"S2", "坏类型", "bunker"}},
	}
	var zip bytes.Buffer
	if err := importers.WriteShapefileZip(&zip, "stations", importers.WGS84, importers.UTF8, fields, rows); err != nil {
		t.Fatal(err)
	}
	rep := e.run(e.write("st.zip", zip.Bytes()), importers.Options{Layer: "stations", SkipInvalid: true})
	if rep.Inserted != 1 || rep.Rejected != 1 || rep.Rejects == nil || !strings.HasSuffix(rep.Rejects.Name, ".zip") {
		t.Fatalf("%+v", rep)
	}
	p := e.write("rejected.zip", rep.Rejects.Data)
	r, err := importers.Open(p, importers.Shapefile, importers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rec, err := r.Next()
	if err != nil || rec.Cells["编号"] != "S2" || rec.Cells["name"] != "坏类型" {
		t.Fatalf("rejected shapefile row: %+v %v", rec, err)
	}
	_ = os.Remove(p)
}

// uscc completes 17 characters into a unified social credit code with its
// GB 32100 check character.
func uscc(s string) string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weights := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(alphabet, s[i]) * weights[i]
	}
	return s + string(alphabet[(31-sum%31)%31])
}
