package api_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
)

type searchReply struct {
	Results []struct {
		Layer  string      `json:"layer"`
		ID     any         `json:"id"`
		Name   string      `json:"name"`
		Detail string      `json:"detail"`
		Match  string      `json:"match"`
		Center [2]float64  `json:"center"`
		BBox   *[4]float64 `json:"bbox"`
	} `json:"results"`
}

func (e *caseEnv) search(user, q string, extra string) searchReply {
	e.t.Helper()
	var r searchReply
	if res := e.do("GET", "/api/v1/search?q="+url.QueryEscape(q)+extra, user, nil, &r); res.StatusCode != http.StatusOK {
		e.t.Fatalf("search %q as %s: %d %s", q, user, res.StatusCode, res.Body)
	}
	return r
}

func TestSearchFindsFeaturesByPartOfTheirNameInScope(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	for _, p := range []struct {
		name     string
		lon, lat float64
	}{{"新园社区老人活动中心", 115.2, 23.1}, {"老人活动中心", 115.7, 23.1}, {"香洲老人活动中心", 116.2, 23.1}} {
		props := riskProps()
		props["name"] = p.name
		props["address"] = "海滨大道" + p.name
		if res := e.do("POST", "/api/v1/risk_points", "admin", pointFeature(p.lon, p.lat, props), nil); res.StatusCode != http.StatusCreated {
			t.Fatalf("risk point %s: %d %s", p.name, res.StatusCode, res.Body)
		}
	}
	var credit string
	if err := e.pool.QueryRow(ctx, `SELECT '91441500MA4000001' || c FROM unnest(string_to_array('0123456789ABCDEFGHJKLMNPQRTUWXY', NULL)) c
		WHERE riskmap_uscc_valid('91441500MA4000001' || c)`).Scan(&credit); err != nil {
		t.Fatal(err)
	}
	if res := e.do("POST", "/api/v1/hazard_sources", "admin", pointFeature(115.3, 23.2, map[string]any{"name": "新港加油站", "category": "hazardous_chemicals", "credit_code": credit}), nil); res.StatusCode != http.StatusCreated {
		t.Fatalf("hazard source: %d %s", res.StatusCode, res.Body)
	}

	// xingang: the two of 新港, the whole name first, with where they lie
	r := e.search("xingang", "老人活动", "")
	if len(r.Results) != 2 {
		t.Fatalf("xingang found %+v, want the two risk points of 新港", r.Results)
	}
	r = e.search("xingang", "老人活动中心", "")
	if first := r.Results[0]; first.Name != "老人活动中心" || first.Layer != "risk_points" || first.Center != [2]float64{115.7, 23.1} || first.Detail != "新港街道 · 立新第2网格" {
		t.Errorf("first hit %+v, want the exact name, at its point, in 新港街道 · 立新第2网格", first)
	}
	// worker1 sees only its own grid's
	r = e.search("worker1", "老人活动", "")
	if len(r.Results) != 1 || r.Results[0].Name != "新园社区老人活动中心" {
		t.Errorf("worker1 found %+v, want only its grid's risk point", r.Results)
	}
	// grids by name and by code, areas by name, with a box to fit
	r = e.search("xingang", "4415020010010", "&layers=grids")
	if len(r.Results) != 2 || r.Results[0].BBox == nil {
		t.Errorf("grids by code prefix: %+v", r.Results)
	}
	r = e.search("worker1", "立新", "&layers=grids,areas")
	names := map[string]bool{}
	for _, h := range r.Results {
		names[h.Name] = true
	}
	if !names["立新第1网格"] || names["立新第2网格"] || !names["立新社区"] {
		t.Errorf("worker1 立新: %v, want its grid and community only", names)
	}
	// a grid by its worker's name
	if r = e.search("xingang", "李娜", ""); len(r.Results) != 1 || r.Results[0].Name != "立新第2网格" || r.Results[0].Match != "worker" {
		t.Errorf("by worker: %+v", r.Results)
	}
	// hazard sources by credit code (any case) and address
	if r = e.search("xingang", credit[:12], ""); len(r.Results) != 1 || r.Results[0].Match != "credit_code" {
		t.Errorf("by credit code: %+v", r.Results)
	}
	if r = e.search("chengqu", "海滨大道香洲", ""); len(r.Results) != 1 || r.Results[0].Match != "address" {
		t.Errorf("by address: %+v", r.Results)
	}
	// LIKE's wildcards are plain characters
	if r = e.search("admin", "%", ""); len(r.Results) != 0 {
		t.Errorf("%%: %+v", r.Results)
	}
}

func TestSearchFindsCasesByNumber(t *testing.T) {
	e := newCaseEnv(t)
	a := e.newCase("worker1", 115.2, 23.0, map[string]any{"description": "排水沟堵塞"})
	e.newCase("xiangzhou", 116.2, 23.0, nil)
	number := a.Properties["number"].(string)
	r := e.search("xingang", string([]rune(number)[5:]), "") // 新港-0001
	if len(r.Results) != 1 || r.Results[0].Layer != "cases" || r.Results[0].ID != a.ID || r.Results[0].Name != number {
		t.Errorf("by number: %+v", r.Results)
	}
	// 香洲's 0001 is not xingang's to see
	if r = e.search("xingang", "0001", "&layers=cases"); len(r.Results) != 1 {
		t.Errorf("0001 as xingang: %+v", r.Results)
	}
	if r = e.search("city", "0001", "&layers=cases"); len(r.Results) != 2 {
		t.Errorf("0001 as city: %+v", r.Results)
	}
}

func TestSearchRefusesWhatItCannotAnswer(t *testing.T) {
	e := newCaseEnv(t)
	for _, q := range []string{"/api/v1/search", "/api/v1/search?q=%20", "/api/v1/search?q=x&layers=users", "/api/v1/search?q=x&limit=0"} {
		var b errBody
		if res := e.do("GET", q, "xingang", nil, &b); res.StatusCode != http.StatusBadRequest || len(b.Error.Details) == 0 {
			t.Errorf("%s: %d %s, want 400 naming the parameter", q, res.StatusCode, res.Body)
		}
	}
}

func TestLayerListsNarrowToAnArea(t *testing.T) {
	e := newCaseEnv(t)
	for _, p := range [][2]float64{{115.2, 23.1}, {115.7, 23.1}, {116.2, 23.1}} {
		if res := e.do("POST", "/api/v1/stations", "admin", pointFeature(p[0], p[1], map[string]any{"name": "站", "kind": "office"}), nil); res.StatusCode != http.StatusCreated {
			t.Fatalf("station: %d %s", res.StatusCode, res.Body)
		}
	}
	count := func(user, query string) int {
		var fc struct {
			Features []feature `json:"features"`
		}
		if res := e.do("GET", "/api/v1/stations?"+query, user, nil, &fc); res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", query, res.StatusCode, res.Body)
		}
		return len(fc.Features)
	}
	for _, c := range []struct {
		user, query string
		want        int
	}{
		{"city", "area=441502001000", 2},    // 新港街道
		{"city", "area=441502002000", 1},    // 香洲街道
		{"city", "area=441502001001002", 1}, // a grid
		{"xingang", "area=441502002000", 0}, // outside xingang's scope: nothing
		{"worker1", "area=441502001000", 1}, // the township, as far as worker1 sees
	} {
		if got := count(c.user, c.query); got != c.want {
			t.Errorf("%s %s: %d stations, want %d", c.user, c.query, got, c.want)
		}
	}
	if res := e.do("GET", "/api/v1/stations?area=4415", "city", nil, nil); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a bad area: %d, want 400", res.StatusCode)
	}
}
