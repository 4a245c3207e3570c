package api_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"riskmap/geo"
)

// TestGCJ02AndBD09AnswersConvertOnTheWayOutAndSaySo stores a point in
// WGS84 and reads it back in GCJ-02 and BD-09 from the feature, the list,
// the exports and the case list: every position converted, the answer
// naming its system, nothing converted without being asked, and a
// GeoPackage (whose spatial reference says WGS84) refused.
func TestGCJ02AndBD09AnswersConvertOnTheWayOutAndSaySo(t *testing.T) {
	e := newEnv(t)
	const lon, lat = 115.3712, 22.7856
	var f feature
	if res := e.do("POST", "/api/v1/risk_points", "admin", pointFeature(lon, lat, riskProps()), &f); res.StatusCode != 201 {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	near := func(what string, got []float64, want [2]float64) {
		t.Helper()
		if len(got) != 2 || math.Abs(got[0]-want[0]) > 1e-9 || math.Abs(got[1]-want[1]) > 1e-9 {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	for _, crs := range []geo.CRS{geo.CRSGCJ02, geo.CRSBD09} {
		x, y := geo.FromWGS84(crs, lon, lat)
		want := [2]float64{x, y}
		var one struct {
			System   string `json:"coordinate_system"`
			Geometry struct{ Coordinates []float64 }
		}
		res := e.do("GET", fmt.Sprintf("/api/v1/risk_points/%d?crs=%s", f.ID, crs), "admin", nil, &one)
		if res.StatusCode != 200 || one.System != string(crs) || res.Header.Get("X-Coordinate-System") != string(crs) {
			t.Errorf("%s feature: %d %s %q", crs, res.StatusCode, one.System, res.Header.Get("X-Coordinate-System"))
		}
		near(string(crs)+" feature", one.Geometry.Coordinates, want)
		var list struct {
			System   string `json:"coordinate_system"`
			Features []struct {
				Geometry struct{ Coordinates []float64 }
			}
		}
		e.do("GET", "/api/v1/risk_points?crs="+string(crs), "admin", nil, &list)
		if list.System != string(crs) || len(list.Features) != 1 {
			t.Fatalf("%s list: %+v", crs, list)
		}
		near(string(crs)+" list", list.Features[0].Geometry.Coordinates, want)
		e.do("GET", "/api/v1/risk_points/export?format=geojson&crs="+string(crs), "admin", nil, &list)
		near(string(crs)+" GeoJSON export", list.Features[0].Geometry.Coordinates, want)
		res = e.do("GET", "/api/v1/risk_points/export?format=csv&crs="+string(crs), "admin", nil, nil)
		rows, _ := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(res.Body, []byte("\ufeff")))).ReadAll()
		if len(rows) != 2 {
			t.Fatalf("%s CSV: %v", crs, rows)
		}
		head := strings.Join(rows[0], ",")
		cx, _ := strconv.ParseFloat(rows[1][len(rows[1])-2], 64)
		cy, _ := strconv.ParseFloat(rows[1][len(rows[1])-1], 64)
		if !strings.HasSuffix(head, "lon,lat") {
			t.Fatalf("CSV header %s", head)
		}
		near(string(crs)+" CSV export", []float64{cx, cy}, want)
		if res := e.do("GET", "/api/v1/risk_points/export?format=gpkg&crs="+string(crs), "admin", nil, nil); res.StatusCode != 400 {
			t.Errorf("%s GeoPackage: %d", crs, res.StatusCode)
		}
	}
	// not asked: WGS84, and nothing says otherwise
	var plain struct {
		System   *string `json:"coordinate_system"`
		Geometry struct{ Coordinates []float64 }
	}
	res := e.do("GET", fmt.Sprintf("/api/v1/risk_points/%d", f.ID), "admin", nil, &plain)
	if plain.System != nil || res.Header.Get("X-Coordinate-System") != "" {
		t.Errorf("unasked: %v %q", plain.System, res.Header.Get("X-Coordinate-System"))
	}
	near("WGS84", plain.Geometry.Coordinates, [2]float64{lon, lat})
	// a point sent in GCJ-02 comes back in GCJ-02 where it was sent
	gx, gy := geo.WGS84ToGCJ02(115.21, 23.01)
	var g feature
	e.do("POST", "/api/v1/risk_points?crs=gcj02", "admin", pointFeature(gx, gy, riskProps()), &g)
	var back struct {
		Geometry struct{ Coordinates []float64 }
	}
	e.do("GET", fmt.Sprintf("/api/v1/risk_points/%d?crs=gcj02", g.ID), "admin", nil, &back)
	if c := back.Geometry.Coordinates; len(c) != 2 || math.Abs(c[0]-gx) > 1e-7 || math.Abs(c[1]-gy) > 1e-7 {
		t.Errorf("GCJ-02 in and out: %v, sent %v %v", c, gx, gy)
	}
}
