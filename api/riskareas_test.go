package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/xuri/excelize/v2"

	"riskmap/internal/mvttest"
)

// The four-colour layer recolours an area the moment one of its points
// changes level, even a cached tile that does not hold the point itself:
// the township's tile at z10 far from both points, and the grid's at z13.
func TestTheFourColourTileFollowsAPointsLevel(t *testing.T) {
	e := newTileEnv(t)
	tok := e.token["xingang"]
	ids := map[string]int64{}
	for _, n := range []string{"西点", "中点"} {
		var id int64
		if err := e.pool.QueryRow(context.Background(), "SELECT id FROM risk_points WHERE name = $1", n).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[n] = id
	}
	// the colour of the feature with code in the tile at z over lon/lat
	colour := func(z int, lon, lat float64, code string) (any, any) {
		t.Helper()
		path, _ := tileOf(z, lon, lat)
		for _, layer := range []string{"risk_areas", "all"} {
			res := e.get("/tiles/"+layer+"/"+path+".mvt", tok)
			if res.StatusCode != 200 {
				t.Fatalf("%s %s: %d", layer, path, res.StatusCode)
			}
			ml := mvttest.Decode(t, res.Body)["risk_areas"]
			if ml == nil {
				t.Fatalf("%s %s: no risk_areas layer", layer, path)
			}
			for _, f := range ml.Features {
				if f.Properties["code"] == code {
					if layer == "all" {
						return f.Properties["max_level"], f.Properties["risk_index"]
					}
				}
			}
		}
		t.Fatalf("z%d: %s not in the tile", z, code)
		return nil, nil
	}
	// 新港: 西点 level 1 in grid 001, 中点 level 2 in grid 002
	if lv, idx := colour(10, 115.1, 22.6, "441502001000"); lv != float64(1) || idx != float64(12) {
		t.Fatalf("township: level %v index %v", lv, idx)
	}
	if lv, _ := colour(13, 115.30, 23.0, "441502001001002"); lv != float64(2) {
		t.Fatalf("grid 002: level %v", lv)
	}
	patch := func(id int64, level int) {
		t.Helper()
		body := fmt.Sprintf(`{"type":"Feature","properties":{"risk_level":%d}}`, level)
		if res := e.send("PATCH", fmt.Sprintf("/api/v1/risk_points/%d", id), tok, body, "Content-Type", "application/json"); res.StatusCode != 200 {
			t.Fatalf("patch: %d %s", res.StatusCode, res.Body)
		}
	}
	patch(ids["西点"], 3)
	if lv, idx := colour(10, 115.1, 22.6, "441502001000"); lv != float64(2) || idx != float64(6) {
		t.Fatalf("township after 西点 → 3: level %v index %v", lv, idx)
	}
	patch(ids["中点"], 1)
	if lv, _ := colour(13, 115.30, 23.0, "441502001001002"); lv != float64(1) {
		t.Fatalf("grid 002 after 中点 → 1: level %v", lv)
	}
	// a write straight in the database reaches the cached tile too
	if _, err := e.pool.Exec(context.Background(), "UPDATE risk_points SET status = 'retired' WHERE id = $1", ids["中点"]); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		lv, _ := colour(10, 115.1, 22.6, "441502001000")
		if lv == float64(3) {
			break
		}
		if i > 100 {
			t.Fatalf("township after SQL retirement: level %v", lv)
		}
		e.tiles.Sync(context.Background())
	}
	// in the style, with its legend
	res := e.get("/styles/riskmap.json", tok)
	var style struct {
		Metadata map[string]json.RawMessage `json:"metadata"`
		Layers   []struct{ ID string }      `json:"layers"`
	}
	_ = json.Unmarshal(res.Body, &style)
	var legend map[string]json.RawMessage
	_ = json.Unmarshal(style.Metadata["riskmap:legend"], &legend)
	found := false
	for _, l := range style.Layers {
		found = found || l.ID == "risk-areas-fill"
	}
	if !found || legend["risk_areas"] == nil {
		t.Errorf("style: layer %v, legend %s", found, style.Metadata["riskmap:legend"])
	}
	if res := e.get("/tiles/risk_areas.json", tok); res.StatusCode != 200 {
		t.Errorf("TileJSON: %d", res.StatusCode)
	}
}

// The areas with their counts by level, as JSON and as a workbook.
func TestRiskAreasListTheCountsByLevel(t *testing.T) {
	e := newEnv(t)
	for _, p := range []struct {
		lon   float64
		level int
	}{{115.2, 1}, {115.3, 2}, {115.7, 2}, {115.8, 4}, {116.7, 3}} {
		props := riskProps()
		props["risk_level"] = p.level
		e.do("POST", "/api/v1/risk_points", "admin", pointFeature(p.lon, 23.0, props), nil)
	}
	var out struct {
		Areas []struct {
			Code       string  `json:"code"`
			N1, N2, N4 int     `json:"-"`
			Total      int     `json:"total"`
			MaxLevel   *int    `json:"max_level"`
			RiskIndex  float64 `json:"risk_index"`
		} `json:"areas"`
	}
	res := e.do("GET", "/api/v1/stats/risk-areas?group_by=grid&area=441502001000", "xingang", nil, &out)
	if res.StatusCode != 200 || len(out.Areas) != 2 {
		t.Fatalf("grids: %d %s", res.StatusCode, res.Body)
	}
	if out.Areas[0].Total != 2 || *out.Areas[0].MaxLevel != 1 || out.Areas[0].RiskIndex != 12 || out.Areas[1].Total != 2 || *out.Areas[1].MaxLevel != 2 || out.Areas[1].RiskIndex != 5 {
		t.Errorf("grids: %s", res.Body)
	}
	// scope: 新港 sees its township only
	res = e.do("GET", "/api/v1/stats/risk-areas?group_by=township", "xingang", nil, &out)
	if len(out.Areas) != 1 || out.Areas[0].Code != "441502001000" || out.Areas[0].Total != 4 {
		t.Errorf("townships: %s", res.Body)
	}
	res = e.do("GET", "/api/v1/stats/risk-areas?group_by=township&format=xlsx", "city", nil, nil)
	if res.StatusCode != 200 {
		t.Fatalf("xlsx: %d", res.StatusCode)
	}
	wb, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := wb.GetRows("四色分布")
	if len(rows) != 3+3 || rows[3][0] != "441502001000" || rows[3][3] != "1" || rows[3][8] != "重大风险" || rows[5][8] != "一般风险" {
		t.Errorf("sheet %q", rows)
	}
	if res := e.do("GET", "/api/v1/stats/risk-areas?group_by=county", "city", nil, nil); res.StatusCode != 400 {
		t.Errorf("bad group_by: %d", res.StatusCode)
	}
}
