package api_test

import (
	"slices"
	"testing"
)

// The app's edit forms come from GET /api/v1/layers: each layer's fields
// with the values the server accepts, and whether the role may change it
// (a township keeps risk points, not hazard sources; a planner nothing).
func TestTheLayerSchemaSaysWhatEachRoleMayEdit(t *testing.T) {
	e := newEnv(t)
	type field struct {
		Name     string   `json:"name"`
		Type     string   `json:"type"`
		Required bool     `json:"required"`
		Values   []string `json:"values"`
		Ints     []int    `json:"ints"`
	}
	type layer struct {
		Name     string  `json:"name"`
		Geometry string  `json:"geometry"`
		Writable bool    `json:"writable"`
		Fields   []field `json:"fields"`
	}
	read := func(user string) map[string]layer {
		t.Helper()
		var out struct{ Layers []layer }
		if res := e.do("GET", "/api/v1/layers", user, nil, &out); res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", user, res.StatusCode, res.Body)
		}
		m := map[string]layer{}
		for _, l := range out.Layers {
			m[l.Name] = l
		}
		return m
	}
	want := map[string]map[string]bool{
		"xingang": {"risk_points": true, "stations": true, "depots": true, "grids": true, "hazard_sources": false, "areas": false},
		"chengqu": {"risk_points": true, "hazard_sources": true, "grids": true, "areas": false},
		"city":    {"risk_points": true, "hazard_sources": true, "grids": true, "areas": true},
		"planner": {"risk_points": false, "grids": false, "areas": false},
		"worker1": {"risk_points": false},
	}
	for user, layers := range want {
		got := read(user)
		for name, w := range layers {
			if got[name].Writable != w {
				t.Errorf("%s: %s writable %v, want %v", user, name, got[name].Writable, w)
			}
		}
	}
	rp := read("xingang")["risk_points"]
	if rp.Geometry != "Point" {
		t.Errorf("risk_points geometry %q", rp.Geometry)
	}
	i := slices.IndexFunc(rp.Fields, func(f field) bool { return f.Name == "risk_level" })
	if i < 0 || rp.Fields[i].Type != "int_enum" || !rp.Fields[i].Required || !slices.Equal(rp.Fields[i].Ints, []int{1, 2, 3, 4}) {
		t.Errorf("risk_level: %+v", rp.Fields)
	}
	i = slices.IndexFunc(rp.Fields, func(f field) bool { return f.Name == "category" })
	if i < 0 || !slices.Contains(rp.Fields[i].Values, "geological") {
		t.Errorf("category: %+v", rp.Fields)
	}
	if res := e.do("GET", "/api/v1/layers?x=1", "xingang", nil, nil); res.StatusCode != 400 {
		t.Errorf("unknown parameter: %d", res.StatusCode)
	}
}
