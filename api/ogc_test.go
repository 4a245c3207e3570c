package api_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

type ogcPage struct {
	Features []struct {
		ID       any `json:"id"`
		Geometry struct {
			Coordinates []float64 `json:"coordinates"`
		} `json:"geometry"`
		Properties map[string]any `json:"properties"`
		Links      []struct{ Rel, Href string }
	} `json:"features"`
	NumberReturned int `json:"numberReturned"`
	NumberMatched  int `json:"numberMatched"`
	Links          []struct{ Rel, Href string }
}

func (p ogcPage) names() []string {
	var out []string
	for _, f := range p.Features {
		out = append(out, fmt.Sprint(f.Properties["name"]))
	}
	slices.Sort(out)
	return out
}

// TestOGCItemsFilterExactlyAsAsked creates points and asks the items of
// risk_points with every kind of filter: an exact bbox (a point 0.9 m
// outside is not in it), datetime, CQL2 text, queryables as parameters,
// CGCS2000 output with Content-Crs, links on one item, the default page,
// and 400s that name the parameter.
func TestOGCItemsFilterExactlyAsAsked(t *testing.T) {
	e := newEnv(t)
	pts := []struct {
		name     string
		lon, lat float64
		level    int
		cat      string
	}{{"甲", 115.2, 23.0, 1, "flood"}, {"乙", 115.3, 23.1, 2, "flood"}, {"丙", 115.4, 23.2, 3, "fire"},
		{"边外", 115.3000098, 23.05, 4, "fire"}} // 0.9 m east of lon 115.3
	for _, p := range pts {
		props := map[string]any{"name": p.name, "category": p.cat, "risk_level": p.level}
		if res := e.do("POST", "/api/v1/risk_points", "admin", pointFeature(p.lon, p.lat, props), nil); res.StatusCode != 201 {
			t.Fatalf("create: %d %s", res.StatusCode, res.Body)
		}
	}
	get := func(q string) ogcPage {
		t.Helper()
		var p ogcPage
		res := e.do("GET", "/ogc/collections/risk_points/items?"+q, "admin", nil, &p)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", q, res.StatusCode, res.Body)
		}
		return p
	}
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"bbox=115.1,22.9,115.3,23.1", []string{"乙", "甲"}},
		{"filter=" + url.QueryEscape("risk_level <= 2 AND category = 'flood'"), []string{"乙", "甲"}},
		{"filter=" + url.QueryEscape("risk_level >= 3 OR name = '甲'"), []string{"丙", "甲", "边外"}},
		{"filter=" + url.QueryEscape("NOT (category = 'flood') AND address IS NULL"), []string{"丙", "边外"}},
		{"category=fire&risk_level=3", []string{"丙"}},
		{"datetime=" + url.QueryEscape("2000-01-01T00:00:00Z/.."), []string{"丙", "乙", "甲", "边外"}},
		{"datetime=" + url.QueryEscape("../2000-01-01"), nil},
		{"bbox-crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4490") + "&bbox=22.9,115.1,23.1,115.3", []string{"乙", "甲"}},
	} {
		if got := get(c.q).names(); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.q, got, c.want)
		}
	}
	p := get("")
	if p.NumberReturned != 4 || p.NumberMatched != 4 {
		t.Errorf("default page: %d of %d", p.NumberReturned, p.NumberMatched)
	}
	// CGCS2000: lat/lon, said in Content-Crs
	res := e.do("GET", "/ogc/collections/risk_points/items?filter="+url.QueryEscape("name = '甲'")+"&crs="+url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4490"), "admin", nil, &p)
	if res.Header.Get("Content-Crs") != "<http://www.opengis.net/def/crs/EPSG/0/4490>" || len(p.Features) != 1 ||
		!slices.Equal(p.Features[0].Geometry.Coordinates, []float64{23.0, 115.2}) {
		t.Errorf("crs 4490: %s %v", res.Header.Get("Content-Crs"), p.Features)
	}
	if res := e.do("GET", "/ogc/collections/risk_points/items", "admin", nil, nil); res.Header.Get("Content-Crs") != "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>" {
		t.Errorf("default Content-Crs: %q", res.Header.Get("Content-Crs"))
	}
	// one item, with its links
	id := fmt.Sprint(get("filter=" + url.QueryEscape("name = '甲'")).Features[0].ID)
	var one struct {
		Links []struct{ Rel, Href string }
	}
	res = e.do("GET", "/ogc/collections/risk_points/items/"+id, "admin", nil, &one)
	rels := []string{}
	for _, l := range one.Links {
		rels = append(rels, l.Rel)
	}
	if res.StatusCode != 200 || !slices.Contains(rels, "self") || !slices.Contains(rels, "collection") {
		t.Errorf("one item: %d links %v", res.StatusCode, rels)
	}
	// refused, naming the parameter
	for _, c := range []struct{ q, param string }{
		{"filter=" + url.QueryEscape("risk_level = 'high'"), "filter"},
		{"filter=" + url.QueryEscape("secret = 1"), "filter"},
		{"filter=" + url.QueryEscape("risk_level = "), "filter"},
		{"filter-lang=cql2-json&filter=x", "filter-lang"},
		{"datetime=yesterday", "datetime"},
		{"datetime=" + url.QueryEscape("2026-02-01/2026-01-01"), "datetime"},
		{"crs=EPSG:3857", "crs"},
		{"colour=red", "colour"},
		{"limit=0", "limit"},
	} {
		var er apiError
		res := e.do("GET", "/ogc/collections/risk_points/items?"+c.q, "admin", nil, &er)
		if res.StatusCode != 400 || !strings.Contains(er.Error.Message, c.param) {
			t.Errorf("%s: %d %s, want a 400 naming %s", c.q, res.StatusCode, res.Body, c.param)
		}
	}
	// queryables and conformance
	var qs struct {
		Properties map[string]map[string]any `json:"properties"`
	}
	res = e.do("GET", "/ogc/collections/risk_points/queryables", "admin", nil, &qs)
	if res.StatusCode != 200 || qs.Properties["risk_level"]["type"] != "integer" || qs.Properties["updated_at"]["format"] != "date-time" {
		t.Errorf("queryables: %d %s", res.StatusCode, res.Body)
	}
	var conf struct{ ConformsTo []string }
	e.do("GET", "/ogc/conformance", "admin", nil, &conf)
	for _, c := range []string{"ogcapi-features-2/1.0/conf/crs", "ogcapi-features-3/1.0/conf/filter", "cql2/1.0/conf/cql2-text", "cql2/1.0/conf/basic-cql2"} {
		found := false
		for _, x := range conf.ConformsTo {
			found = found || strings.HasSuffix(x, c)
		}
		if !found {
			t.Errorf("conformance lacks %s", c)
		}
	}
}

// TestTheCasesCollectionIsTheCaseListInScope lists the cases collection
// as two users: each sees the cases the case list shows them.
func TestTheCasesCollectionIsTheCaseListInScope(t *testing.T) {
	e := newCaseEnv(t)
	a := e.newCase("worker1", 115.2, 23.0, nil)
	b := e.newCase("xingang", 115.7, 23.0, map[string]any{"grade": "major"})
	for _, c := range []struct {
		user, q string
		want    []string
	}{
		{"worker1", "", []string{a.ID}},
		{"xingang", "", []string{b.ID, a.ID}},
		{"xingang", "grade=major", []string{b.ID}},
	} {
		var p ogcPage
		res := e.do("GET", "/ogc/collections/cases/items?"+c.q, c.user, nil, &p)
		var got []string
		for _, f := range p.Features {
			got = append(got, fmt.Sprint(f.ID))
		}
		if res.StatusCode != 200 || !slices.Equal(got, c.want) {
			t.Errorf("%s %s: %d %v, want %v", c.user, c.q, res.StatusCode, got, c.want)
		}
	}
	if res := e.do("GET", "/ogc/collections/cases/items/"+b.ID, "worker1", nil, nil); res.StatusCode != 404 {
		t.Errorf("a case outside the worker's grids: %d", res.StatusCode)
	}
}
