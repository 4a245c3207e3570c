package api_test

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// detailedError is an error reply with its details.
type detailedError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Field string `json:"field"`
		} `json:"details"`
	} `json:"error"`
}

// The fixture's grids are half a degree wide (about 51 km at lat 23): an
// office at the point of grid 001 of 新港 covers it, and nothing else, within
// 30 km.
func coverageEnv(t *testing.T) (*env, int64) {
	t.Helper()
	e := newEnv(t)
	var id int64
	err := e.pool.QueryRow(context.Background(), `INSERT INTO stations (name, kind, geom)
	    VALUES ('新港街道应急管理办公室', 'office', ST_PointOnSurface((SELECT geom FROM grids WHERE code = '441502001001001'))) RETURNING id`).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(context.Background(), `INSERT INTO risk_points (name, category, risk_level, geom)
	    VALUES ('香洲内涝点', 'flood', 1, ST_Point(116.25, 23.1, 4326))`); err != nil {
		t.Fatal(err)
	}
	return e, id
}

func TestCoverageAnswersInTheShapeOfAPIMD(t *testing.T) {
	e, station := coverageEnv(t)
	var out struct {
		Facility     string
		MaxDistanceM *float64 `json:"max_distance_m"`
		MaxMinutes   *float64 `json:"max_minutes"`
		Share        map[string]*float64
		Uncovered    []map[string]any `json:"uncovered_grids"`
		UncoveredRP  []map[string]any `json:"uncovered_risk_points"`
	}
	res := e.do("GET", "/api/v1/coverage?facility=stations&max_distance_m=30000", "planner", nil, &out)
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, res.Body)
	}
	// the planner's scope is 城区: 新港's two grids and 香洲's
	if out.Facility != "stations" || out.MaxDistanceM == nil || *out.MaxDistanceM != 30000 || out.MaxMinutes != nil {
		t.Errorf("head %+v", out)
	}
	for _, k := range []string{"grids", "area", "population", "risk_weighted"} {
		if _, ok := out.Share[k]; !ok {
			t.Errorf("share lacks %s", k)
		}
	}
	if v := out.Share["grids"]; v == nil || *v != 1.0/3 {
		t.Errorf("share of grids %v, want 1/3", v)
	}
	if len(out.Uncovered) != 2 || out.Uncovered[0]["code"] != "441502001001002" || out.Uncovered[0]["nearest_facility_id"] != float64(station) ||
		out.Uncovered[0]["distance_m"] == nil || out.Uncovered[0]["name"] != "立新第2网格" {
		t.Errorf("uncovered grids %v", out.Uncovered)
	}
	if len(out.UncoveredRP) != 1 || out.UncoveredRP[0]["name"] != "香洲内涝点" {
		t.Errorf("uncovered risk points %v", out.UncoveredRP)
	}

	res = e.do("GET", "/api/v1/coverage?max_distance_m=30000&format=geojson", "city", nil, nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/geo+json" || !strings.Contains(string(res.Body), `"type":"FeatureCollection"`) {
		t.Errorf("geojson: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	res = e.do("GET", "/api/v1/coverage?max_distance_m=30000&format=csv", "city", nil, nil)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(string(res.Body), "\ufefflayer,code,") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "filename*=") {
		t.Errorf("csv: %d %s %q", res.StatusCode, res.Header, res.Body[:min(40, len(res.Body))])
	}
	// a workbook for people: township names, km, named for the area and reach
	res = e.do("GET", "/api/v1/coverage?max_distance_m=30000&format=xlsx", "city", nil, nil)
	if _, p, err := mime.ParseMediaType(res.Header.Get("Content-Disposition")); err != nil || p["filename"] != "覆盖分析_全辖区_应急站点_30公里.xlsx" {
		t.Errorf("xlsx file name: %q (%v)", res.Header.Get("Content-Disposition"), err)
	}
	wb, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatalf("xlsx: %d %v", res.StatusCode, err)
	}
	rows, err := wb.GetRows("未覆盖网格")
	if err != nil {
		t.Fatal(err)
	}
	// farthest first
	if len(rows) != 6 || rows[0][0] != "全辖区应急站点覆盖分析（30 公里内）" || rows[2][0] != "镇街" || rows[3][0] != "梅陇镇" ||
		rows[3][5] != "153.5" || rows[5][1] != "立新第2网格" {
		t.Errorf("uncovered grids sheet %q", rows)
	}
	if sheets := wb.GetSheetList(); strings.Join(sheets, ",") != "各镇街覆盖率,未覆盖网格,未覆盖风险点,未覆盖危险源" {
		t.Errorf("sheets %v", sheets)
	}
}

func TestCoverageParametersAreRefusedByName(t *testing.T) {
	e, _ := coverageEnv(t)
	for _, tc := range []struct {
		query, field string
		status       int
	}{
		{"max_distance_m=far", "max_distance_m", 400},
		{"max_minutes=10&max_distance_m=100", "max_minutes", 400},
		{"", "max_distance_m", 400},
		{"max_distance_m=100&facility=hospitals", "facility", 400},
		{"max_distance_m=100&format=xml", "format", 400},
		{"max_distance_m=100&area=4415", "area", 400},
		{"max_distance_m=100&limit=0", "limit", 400},
		{"max_distance_m=100&area=441502009000", "area", 404},
		{"max_distance_m=100&area=441521000000", "area", 403},
	} {
		var er detailedError
		res := e.do("GET", "/api/v1/coverage?"+tc.query, "xingang", nil, &er)
		if res.StatusCode != tc.status || len(er.Error.Details) == 0 || er.Error.Details[0].Field != tc.field {
			t.Errorf("%s: %d %s, want %d naming %s", tc.query, res.StatusCode, res.Body, tc.status, tc.field)
		}
	}
	// travel time needs a road network: 422 says how to get one
	var er detailedError
	res := e.do("GET", "/api/v1/coverage?max_minutes=15", "admin", nil, &er)
	if res.StatusCode != 422 || !strings.Contains(er.Error.Message, "import --layer roads") {
		t.Errorf("no roads: %d %s", res.StatusCode, res.Body)
	}
}

func TestReadinessSufficiencyAndSitingRoutes(t *testing.T) {
	e, _ := coverageEnv(t)
	var depot int64
	if err := e.pool.QueryRow(context.Background(), "INSERT INTO depots (name, geom) VALUES ('香洲街道物资仓库', ST_Point(116.2, 23.2, 4326)) RETURNING id").Scan(&depot); err != nil {
		t.Fatal(err)
	}
	var rd struct {
		Townships []struct {
			Code     string
			Name     string
			Complete bool
			Missing  []string
		}
	}
	if res := e.do("GET", "/api/v1/readiness?area=441502000000", "chengqu", nil, &rd); res.StatusCode != 200 || len(rd.Townships) != 2 {
		t.Fatalf("readiness: %d %s", res.StatusCode, res.Body)
	}
	if got := fmt.Sprint(rd.Townships[0].Missing, rd.Townships[1].Missing); got != "[rescue_team platform depot] [office rescue_team platform]" {
		t.Errorf("missing %s", got)
	}
	// the static route and the layer's /depots/{id} live side by side
	var suf struct {
		Townships []struct {
			Code   string
			Depots int
		}
	}
	if res := e.do("GET", "/api/v1/depots/sufficiency", "city", nil, &suf); res.StatusCode != 200 || len(suf.Townships) != 3 || suf.Townships[1].Depots != 1 {
		t.Errorf("sufficiency: %d %s", res.StatusCode, res.Body)
	}
	if res := e.do("GET", fmt.Sprintf("/api/v1/depots/%d", depot), "city", nil, nil); res.StatusCode != 200 {
		t.Errorf("GET /api/v1/depots/%d next to /depots/sufficiency: %d", depot, res.StatusCode)
	}
	var st struct {
		Sites []struct {
			Rank     int
			Gain     float64
			GridCode string `json:"grid_code"`
		}
	}
	res := e.do("GET", "/api/v1/coverage/siting?k=1&max_distance_m=30000", "planner", nil, &st)
	// 香洲's 350 people next to a major risk (weight 8: 2,800) outweigh 新港
	// 002's 700 in the planner's 城区
	if res.StatusCode != 200 || len(st.Sites) != 1 || st.Sites[0].GridCode != "441502002001001" || st.Sites[0].Gain != 2800 {
		t.Errorf("siting: %d %s", res.StatusCode, res.Body)
	}
	if res := e.do("GET", "/api/v1/coverage/siting?k=0&max_distance_m=30000", "planner", nil, nil); res.StatusCode != 400 {
		t.Errorf("k=0: %d", res.StatusCode)
	}
}
