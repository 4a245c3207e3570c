package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

type feature struct {
	ID         int64          `json:"id"`
	Properties map[string]any `json:"properties"`
}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"details"`
	} `json:"error"`
}

func TestPointsArePlacedOnTheGridTheyLieIn(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name     string
		lon, lat float64
		grid     string
	}{
		{"inside the west grid", 115.25, 23.0, "441502001001001"},
		{"inside the east grid", 115.75, 23.0, "441502001001002"},
		{"on the shared edge: smaller code", 115.5, 23.0, "441502001001001"},
		{"on a corner shared by three grids of two townships", 116.0, 23.5, "441502001001002"},
		{"in the other township", 116.25, 22.7, "441502002001001"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var f feature
			res := e.do("POST", "/api/v1/risk_points", "admin", pointFeature(c.lon, c.lat, riskProps()), &f)
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("status %d: %s", res.StatusCode, res.Body)
			}
			if got := f.Properties["grid_code"]; got != c.grid {
				t.Errorf("grid_code = %v, want %s", got, c.grid)
			}
			if got, want := f.Properties["township_code"], c.grid[:9]+"000"; got != want {
				t.Errorf("township_code = %v, want %s", got, want)
			}
			if got := f.Properties["county_code"]; got != "441502000000" {
				t.Errorf("county_code = %v", got)
			}
			var loc struct {
				Grid     struct{ Code string }
				Township struct{ Code string }
				County   struct{ Code string }
			}
			res = e.do("GET", fmt.Sprintf("/api/v1/locate?lon=%v&lat=%v", c.lon, c.lat), "admin", nil, &loc)
			if res.StatusCode != 200 || loc.Grid.Code != c.grid || loc.Township.Code != c.grid[:9]+"000" || loc.County.Code != "441502000000" {
				t.Errorf("locate: %d %+v, want grid %s", res.StatusCode, loc, c.grid)
			}
		})
	}
}

func TestLocateOutsideEveryGridIs404(t *testing.T) {
	e := newEnv(t)
	for _, q := range []string{"lon=117.05&lat=23.0", "lon=100&lat=30"} {
		var er apiError
		res := e.do("GET", "/api/v1/locate?"+q, "admin", nil, &er)
		if res.StatusCode != 404 || !strings.Contains(er.Error.Message, "no grid") {
			t.Errorf("%s: %d %s", q, res.StatusCode, res.Body)
		}
	}
}

func TestBadInputIsRefusedNamingTheProblemAndChangesNothing(t *testing.T) {
	e := newEnv(t)
	bowtie := `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[116.1,22.6],[116.4,22.9],[116.4,22.6],[116.1,22.9],[116.1,22.6]]]},"properties":{"code":"441502002001002","name":"坏网格"}}`
	overlap := `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[115.4,22.6],[115.6,22.6],[115.6,22.8],[115.4,22.8],[115.4,22.6]]]},"properties":{"code":"441502001001003","name":"重叠网格"}}`
	leaves := `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[115.9,22.6],[116.1,22.6],[116.1,22.8],[115.9,22.8],[115.9,22.6]]]},"properties":{"code":"441502001001003","name":"越界网格"}}`
	big := `{"type":"Feature","geometry":{"type":"Point","coordinates":[115.2,23.0]},"properties":{"name":"` + strings.Repeat("长", 40000) + `","category":"flood","risk_level":1}}`
	cases := []struct {
		name   string
		path   string
		body   string
		status int
		want   []string // all must appear in the error message
	}{
		{"malformed JSON", "/api/v1/risk_points", `{"type":"Feature",`, 400, []string{"not a valid GeoJSON Feature"}},
		{"NaN literal is not JSON", "/api/v1/risk_points", `{"type":"Feature","geometry":{"type":"Point","coordinates":[NaN,23.0]},"properties":{}}`, 400, []string{"not a valid GeoJSON"}},
		{"infinite number", "/api/v1/risk_points", `{"type":"Feature","geometry":{"type":"Point","coordinates":[1e999,23.0]},"properties":{"name":"x","category":"flood","risk_level":1}}`, 422, []string{"coordinates", "finite"}},
		{"wrong geometry type for the layer", "/api/v1/risk_points", `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[115.1,22.6],[115.2,22.6],[115.2,22.7],[115.1,22.6]]]},"properties":{"name":"x","category":"flood","risk_level":1}}`, 422, []string{"Polygon", "Point"}},
		{"longitude out of range", "/api/v1/risk_points", `{"type":"Feature","geometry":{"type":"Point","coordinates":[215.2,23.0]},"properties":{"name":"x","category":"flood","risk_level":1}}`, 422, []string{"215.2"}},
		{"latitude and longitude swapped", "/api/v1/risk_points", `{"type":"Feature","geometry":{"type":"Point","coordinates":[23.0,115.2]},"properties":{"name":"x","category":"flood","risk_level":1}}`, 422, []string{"115.2"}},
		{"a point far outside the city", "/api/v1/risk_points", `{"type":"Feature","geometry":{"type":"Point","coordinates":[113.26,23.13]},"properties":{"name":"x","category":"flood","risk_level":1}}`, 422, []string{"113.26"}},
		{"a point in the city but in no grid", "/api/v1/risk_points", `{"type":"Feature","geometry":{"type":"Point","coordinates":[117.05,23.0]},"properties":{"name":"x","category":"flood","risk_level":1}}`, 422, []string{"117.05", "no grid"}},
		{"unknown risk level", "/api/v1/risk_points", `{"type":"Feature","geometry":{"type":"Point","coordinates":[115.2,23.0]},"properties":{"name":"x","category":"flood","risk_level":7}}`, 422, []string{"risk_level", "7"}},
		{"unknown category", "/api/v1/risk_points", `{"type":"Feature","geometry":{"type":"Point","coordinates":[115.2,23.0]},"properties":{"name":"x","category":"volcano","risk_level":1}}`, 422, []string{"category", "volcano"}},
		{"unknown property", "/api/v1/risk_points", `{"type":"Feature","geometry":{"type":"Point","coordinates":[115.2,23.0]},"properties":{"name":"x","category":"flood","risk_level":1,"colour":"red"}}`, 422, []string{"colour"}},
		{"derived property typed in", "/api/v1/risk_points", `{"type":"Feature","geometry":{"type":"Point","coordinates":[115.2,23.0]},"properties":{"name":"x","category":"flood","risk_level":1,"grid_code":"441502001001002"}}`, 422, []string{"grid_code"}},
		{"missing required property", "/api/v1/risk_points", `{"type":"Feature","geometry":{"type":"Point","coordinates":[115.2,23.0]},"properties":{"category":"flood","risk_level":1}}`, 422, []string{"name", "required"}},
		{"self-intersecting polygon", "/api/v1/grids", bowtie, 422, []string{"Self-intersection"}},
		{"grid overlapping its neighbour", "/api/v1/grids", overlap, 422, []string{"overlaps", "441502001001001", "441502001001002"}},
		{"grid leaving its township", "/api/v1/grids", leaves, 422, []string{"leaves its township", "441502001000"}},
		{"body over the size limit", "/api/v1/risk_points", big, 413, []string{"larger than"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.snapshot()
			var er apiError
			res := e.do("POST", c.path, "admin", c.body, &er)
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, c.status, res.Body)
			}
			for _, w := range c.want {
				if !strings.Contains(er.Error.Message, w) {
					t.Errorf("message %q does not name %q", er.Error.Message, w)
				}
			}
			if after := e.snapshot(); after != before {
				t.Errorf("database changed:\n%s\n%s", before, after)
			}
		})
	}
}

func TestPatchWithStaleIfMatchIs412AndChangesNothing(t *testing.T) {
	e := newEnv(t)
	var f feature
	res := e.do("POST", "/api/v1/risk_points", "admin", pointFeature(115.2, 23.0, riskProps()), &f)
	if res.StatusCode != 201 {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	path := fmt.Sprintf("/api/v1/risk_points/%d", f.ID)
	res = e.do("GET", path, "admin", nil, nil)
	tag := res.Header.Get("ETag")
	if tag != `"1"` {
		t.Fatalf("ETag %q, want \"1\"", tag)
	}
	res = e.do("PATCH", path, "admin", `{"type":"Feature","properties":{"risk_level":1}}`, &f, "If-Match", tag)
	if res.StatusCode != 200 || f.Properties["risk_level"] != float64(1) || res.Header.Get("ETag") != `"2"` {
		t.Fatalf("fresh PATCH: %d %s %s", res.StatusCode, res.Header.Get("ETag"), res.Body)
	}
	before := e.snapshot()
	var er apiError
	res = e.do("PATCH", path, "admin", `{"type":"Feature","properties":{"risk_level":4}}`, &er, "If-Match", tag)
	if res.StatusCode != http.StatusPreconditionFailed || !strings.Contains(er.Error.Message, "version 2") {
		t.Fatalf("stale PATCH: %d %s", res.StatusCode, res.Body)
	}
	res = e.do("DELETE", path, "admin", nil, nil, "If-Match", tag)
	if res.StatusCode != http.StatusPreconditionFailed {
		t.Fatalf("stale DELETE: %d %s", res.StatusCode, res.Body)
	}
	if after := e.snapshot(); after != before {
		t.Errorf("database changed by a stale write")
	}
}

func TestMovingAPointRePlacesIt(t *testing.T) {
	e := newEnv(t)
	var f feature
	e.do("POST", "/api/v1/risk_points", "admin", pointFeature(115.2, 23.0, riskProps()), &f)
	res := e.do("PATCH", fmt.Sprintf("/api/v1/risk_points/%d", f.ID), "admin", `{"type":"Feature","geometry":{"type":"Point","coordinates":[115.8,23.0]}}`, &f)
	if res.StatusCode != 200 || f.Properties["grid_code"] != "441502001001002" {
		t.Fatalf("move: %d %v", res.StatusCode, f.Properties["grid_code"])
	}
}

func gridIDs(e *env) map[string]int64 {
	var fc struct{ Features []feature }
	e.do("GET", "/api/v1/grids?limit=10", "admin", nil, &fc)
	ids := map[string]int64{}
	for _, g := range fc.Features {
		ids[g.Properties["code"].(string)] = g.ID
	}
	return ids
}

func rect(minLon, minLat, maxLon, maxLat float64) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%v,%v],[%v,%v],[%v,%v],[%v,%v],[%v,%v]]]}`,
		minLon, minLat, maxLon, minLat, maxLon, maxLat, minLon, maxLat, minLon, minLat)
}

func TestRedrawingASharedGridEdgeRePlacesThePointsBetween(t *testing.T) {
	e := newEnv(t)
	var p feature
	e.do("POST", "/api/v1/risk_points", "admin", pointFeature(115.45, 23.0, riskProps()), &p)
	if p.Properties["grid_code"] != "441502001001001" {
		t.Fatalf("placed in %v", p.Properties["grid_code"])
	}
	ids := gridIDs(e)
	west, east := ids["441502001001001"], ids["441502001001002"]
	pointPath := fmt.Sprintf("/api/v1/risk_points/%d", p.ID)

	// alone, shrinking the west grid leaves the point in a gap: refused
	var er apiError
	before := e.snapshot()
	res := e.do("PATCH", fmt.Sprintf("/api/v1/grids/%d", west), "admin", `{"type":"Feature","geometry":`+rect(115.0, 22.5, 115.4, 23.5)+`}`, &er)
	if res.StatusCode != 422 || !strings.Contains(er.Error.Message, "no grid") || !strings.Contains(er.Error.Message, "115.45") {
		t.Fatalf("shrink leaving a point in a gap: %d %s", res.StatusCode, res.Body)
	}
	// alone, growing the east grid overlaps the west one: refused naming both
	res = e.do("PATCH", fmt.Sprintf("/api/v1/grids/%d", east), "admin", `{"type":"Feature","geometry":`+rect(115.4, 22.5, 116.0, 23.5)+`}`, &er)
	if res.StatusCode != 422 || !strings.Contains(er.Error.Message, "441502001001002 overlaps grid 441502001001001") {
		t.Fatalf("grow into neighbour: %d %s", res.StatusCode, res.Body)
	}
	if e.snapshot() != before {
		t.Fatal("a refused grid change wrote something")
	}

	// together, in one batch: the edge moves to 115.4 and the point moves grid
	batch := fmt.Sprintf(`{"type":"FeatureCollection","features":[
		{"type":"Feature","id":%d,"geometry":%s,"properties":{"version":1}},
		{"type":"Feature","id":%d,"geometry":%s,"properties":{"version":1}}]}`,
		west, rect(115.0, 22.5, 115.4, 23.5), east, rect(115.4, 22.5, 116.0, 23.5))
	res = e.do("PATCH", "/api/v1/grids", "admin", batch, nil)
	if res.StatusCode != 200 {
		t.Fatalf("batch redraw: %d %s", res.StatusCode, res.Body)
	}
	var moved feature
	e.do("GET", pointPath, "admin", nil, &moved)
	if moved.Properties["grid_code"] != "441502001001002" || moved.Properties["version"] != float64(2) {
		t.Fatalf("after redraw the point is in %v at version %v, want 441502001001002 at version 2", moved.Properties["grid_code"], moved.Properties["version"])
	}

	// a batch that overlaps is refused whole, at commit, naming the grids
	before = e.snapshot()
	bad := fmt.Sprintf(`{"type":"FeatureCollection","features":[
		{"type":"Feature","id":%d,"geometry":%s},
		{"type":"Feature","id":%d,"geometry":%s}]}`,
		west, rect(115.0, 22.5, 115.42, 23.5), east, rect(115.6, 22.5, 116.0, 23.5))
	res = e.do("PATCH", "/api/v1/grids", "admin", bad, &er)
	if res.StatusCode != 422 || !strings.Contains(er.Error.Message, "115.45") {
		t.Fatalf("batch leaving a gap with the point in it: %d %s", res.StatusCode, res.Body)
	}
	stale := fmt.Sprintf(`{"type":"FeatureCollection","features":[{"type":"Feature","id":%d,"properties":{"name":"x","version":1}}]}`, west)
	res = e.do("PATCH", "/api/v1/grids", "admin", stale, &er)
	if res.StatusCode != 412 {
		t.Fatalf("batch with a stale version: %d %s", res.StatusCode, res.Body)
	}
	if e.snapshot() != before {
		t.Fatal("a refused batch wrote something")
	}
}

func TestGridIntegrityReportsGapsAndOverlapsAsTheDataStands(t *testing.T) {
	e := newEnv(t)
	var rep struct {
		Townships int `json:"townships_checked"`
		Gaps      []struct {
			Township string  `json:"township_code"`
			AreaM2   float64 `json:"area_m2"`
		}
		Overlaps []struct {
			GridA string `json:"grid_a"`
			GridB string `json:"grid_b"`
		}
	}
	e.do("GET", "/api/v1/grids/integrity", "admin", nil, &rep)
	if rep.Townships != 3 || len(rep.Gaps) != 0 || len(rep.Overlaps) != 0 {
		t.Fatalf("clean data: %+v", rep)
	}
	// straight in the database, bypassing the API as a bulk load might
	// (the integrity trigger is dropped for the test)
	ctx := t.Context()
	for _, sql := range []string{
		"ALTER TABLE grids DISABLE TRIGGER grid_integrity",
		"UPDATE grids SET geom = ST_Multi(ST_MakeEnvelope(115.0, 22.5, 115.6, 23.5, 4326)) WHERE code = '441502001001001'",
		"UPDATE grids SET geom = ST_Multi(ST_MakeEnvelope(116.0, 22.5, 116.4, 23.5, 4326)) WHERE code = '441502002001001'",
	} {
		if _, err := e.pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	res := e.do("GET", "/api/v1/grids/integrity", "admin", nil, &rep)
	if res.StatusCode != 200 || len(rep.Overlaps) != 1 || len(rep.Gaps) != 1 {
		t.Fatalf("report: %d %s", res.StatusCode, res.Body)
	}
	if rep.Overlaps[0].GridA != "441502001001001" || rep.Overlaps[0].GridB != "441502001001002" {
		t.Errorf("overlap %+v", rep.Overlaps[0])
	}
	// the gap is 0.1° × 1° at lat 23: about 10.2 km × 111 km
	if g := rep.Gaps[0]; g.Township != "441502002000" || g.AreaM2 < 1.1e9 || g.AreaM2 > 1.2e9 {
		t.Errorf("gap %+v", g)
	}
}
