package coverage_test

import (
	"context"
	"reflect"
	"testing"

	"riskmap"
	"riskmap/coverage"
	"riskmap/internal/dbtest"
	"riskmap/roads"
)

// The demo city, with the road network `riskmap demo` gives it, shows what
// planners look for: townships short of their 四个一 (the gaps the demo
// leaves on purpose), grids out of reach, depots below their norms, and
// sites that would help.
func TestDemoCityShowsGapsAndIncompleteTownships(t *testing.T) {
	pool := dbtest.New(t, dbtest.Demo)
	ctx := context.Background()
	loaded, err := roads.LoadDemo(ctx, pool)
	if err != nil || !loaded {
		t.Fatalf("demo roads: %v %v", loaded, err)
	}
	var edges, pieces int
	if err := pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM roads), (SELECT count(DISTINCT component) FROM road_vertices)").Scan(&edges, &pieces); err != nil {
		t.Fatal(err)
	}
	if edges < 2000 || pieces != 1 {
		t.Errorf("demo network: %d edges in %d pieces", edges, pieces)
	}
	s := coverage.NewService(pool, coverage.Config{})
	city := &riskmap.User{ID: 1, Username: "city", Role: riskmap.RoleCity, Areas: []string{"441500000000"}}

	rd, err := s.Readiness(ctx, city, "", true)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, tw := range rd.Townships {
		got[tw.Code] = tw.Missing
	}
	want := map[string][]string{ // demo/gaps.go
		"441521112000": {"rescue_team"}, "441523107000": {"rescue_team"}, "441521109000": {"depot"},
		"441581108000": {"depot"}, "441581116000": {"rescue_team", "depot"}, "441581400000": {"platform"},
	}
	if !reflect.DeepEqual(got, want) || rd.Incomplete != 6 || rd.Total < 50 {
		t.Errorf("incomplete townships %v (of %d), want %v", got, rd.Total, want)
	}

	for _, q := range []coverage.Query{
		{Facility: "stations", Kind: "rescue_team", MaxDistanceM: 5000},
		{Facility: "stations", Kind: "rescue_team", MaxMinutes: 10},
		{Facility: "depots", MaxMinutes: 15},
	} {
		r, err := s.Coverage(ctx, city, q)
		if err != nil {
			t.Fatal(err)
		}
		share := val(r.Share.Population)
		t.Logf("demo: %s %s ≤ %v m / %v min: %d of %d grids uncovered, population %.1f %%, risk-weighted %.1f %%",
			q.Facility, q.Kind, q.MaxDistanceM, q.MaxMinutes, len(r.UncoveredGrids), r.Totals.Grids, 100*share, 100*val(r.Share.RiskWeighted))
		if len(r.UncoveredGrids) == 0 || r.Totals.CoveredGrids == 0 || !(share > 0.2 && share < 1) || len(r.Townships) < 50 {
			t.Errorf("%+v: %d uncovered of %d grids, population share %.3f", q, len(r.UncoveredGrids), r.Totals.Grids, share)
		}
	}

	suf, err := s.Sufficiency(ctx, city, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("demo: %d townships, %d incomplete; %d with depots holding every norm", rd.Total, rd.Incomplete, suf.Sufficient)
	if suf.Sufficient == suf.Total || suf.Total != rd.Total {
		t.Errorf("sufficiency: %d of %d townships sufficient", suf.Sufficient, suf.Total)
	}

	st, err := s.Siting(ctx, city, coverage.SitingQuery{Query: coverage.Query{Facility: "stations", Kind: "rescue_team", MaxMinutes: 10}, K: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, site := range st.Sites {
		t.Logf("demo: site %d at %v (%.4f, %.4f): +%.0f risk-weighted people, share %.1f %%", site.Rank, val2(site.GridCode), site.Lon, site.Lat, site.Gain, 100*val(site.ShareAfter))
	}
	if len(st.Sites) != 3 || st.Sites[0].Gain <= 0 || st.Sites[1].Gain > st.Sites[0].Gain || st.Sites[2].Gain > st.Sites[1].Gain ||
		val(st.After.Share) <= val(st.Before.Share) {
		t.Errorf("siting %+v", st.Sites)
	}
}

func val2(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
