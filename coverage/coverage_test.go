package coverage_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"riskmap"
	"riskmap/coverage"
)

func TestDistanceCoverageMatchesTheHandCount(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	r, err := s.Coverage(context.Background(), admin, coverage.Query{Facility: "stations", MaxDistanceM: 1200})
	if err != nil {
		t.Fatal(err)
	}
	// A1 0 m (F1), A2 1,111.95 m (F1), A3 555.98 m (F3), B1 333.59 m (F2)
	// covered; B2 1,445.54 m and B3 2,557.49 m from F2 not (F4 in B3 is
	// retired and does not count)
	if r.Facilities != 3 {
		t.Errorf("facilities %d, want the 3 active stations", r.Facilities)
	}
	want := map[string]float64{"grids": 4.0 / 6, "area": 4.0 / 6, "population": 4300.0 / 8500,
		"risk_weighted": 10.0 / 15, "risk_points": 2.0 / 4, "hazard_sources": 1.0 / 2}
	got := map[string]float64{"grids": val(r.Share.Grids), "area": val(r.Share.Area), "population": val(r.Share.Population),
		"risk_weighted": val(r.Share.RiskWeighted), "risk_points": val(r.Share.RiskPoints), "hazard_sources": val(r.Share.HazardSources)}
	for k, w := range want {
		if !near(got[k], w, 1e-6) {
			t.Errorf("share %s = %v, want %v", k, got[k], w)
		}
	}
	if c := codes(r.UncoveredGrids); !reflect.DeepEqual(c, []string{"441502002001002", "441502002001003"}) {
		t.Fatalf("uncovered grids %v, want B2 and B3", c)
	}
	for i, d := range []float64{0.013 * deg, 0.023 * deg} {
		g := r.UncoveredGrids[i]
		if g.NearestFacilityName == nil || *g.NearestFacilityName != "甲街道应急救援队" || !near(val(g.DistanceM), d, 0.06) || g.Minutes != nil {
			t.Errorf("uncovered %s: nearest %v at %v m, want F2 at %.1f m", g.Code, g.NearestFacilityName, val(g.DistanceM), d)
		}
	}
	// gravest first: P2 (level 2) before P3 (level 4); P5 is retired
	if len(r.UncoveredRiskPoints) != 2 || r.UncoveredRiskPoints[0].Name != "乙二内涝点" || *r.UncoveredRiskPoints[0].RiskLevel != 2 ||
		r.UncoveredRiskPoints[1].Name != "乙三山塘" || r.UncoveredRiskPointsTotal != 2 {
		t.Errorf("uncovered risk points %+v", r.UncoveredRiskPoints)
	}
	if len(r.UncoveredHazardSources) != 1 || r.UncoveredHazardSources[0].Name != "乙三烟花仓库" {
		t.Errorf("uncovered hazard sources %+v", r.UncoveredHazardSources)
	}
	if r.Totals.Population != 8500 || r.Totals.CoveredPopulation != 4300 || r.Totals.RiskWeight != 15 || r.Totals.CoveredRiskWeight != 10 {
		t.Errorf("totals %+v", r.Totals)
	}
	if len(r.Townships) != 2 || r.Townships[0].Name != "甲街道" || r.Townships[0].CoveredGrids != 3 || r.Townships[1].CoveredGrids != 1 ||
		r.Townships[1].CoveredPopulation != 800 {
		t.Errorf("townships %+v", r.Townships)
	}
	// one grid is 0.01° × 0.02° at the equator: 1,111.95 m × 2,223.90 m
	if !near(r.Totals.AreaKm2, 6*0.01*0.02*deg*deg/1e6, 1e-3) {
		t.Errorf("area %v km², want %v", r.Totals.AreaKm2, 6*0.01*0.02*deg*deg/1e6)
	}
}

func TestDistanceLimitIsInclusive(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	exact := 0.013 * deg // B2 to F2
	for _, tc := range []struct {
		name    string
		limit   float64
		covered bool
	}{
		{"exactly at the limit is covered", exact, true},
		{"a millimetre short is not", exact - 0.001, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := s.Coverage(context.Background(), admin, coverage.Query{Facility: "stations", MaxDistanceM: tc.limit})
			if err != nil {
				t.Fatal(err)
			}
			b2 := true
			for _, g := range r.UncoveredGrids {
				if g.Code == "441502002001002" {
					b2 = false
				}
			}
			if b2 != tc.covered {
				t.Errorf("B2 at %.4f m with limit %.4f m: covered %v, want %v", exact, tc.limit, b2, tc.covered)
			}
		})
	}
}

func TestFacilityOutsideItsTownshipCoversAcrossTheBorder(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	ctx := context.Background()
	// F2, 甲街道's rescue team, stands in B1 (township 乙镇): it reaches A3
	// (778.37 m) in 甲街道 and B1 (333.59 m)
	r, err := s.Coverage(ctx, admin, coverage.Query{Facility: "stations", Kind: "rescue_team", MaxDistanceM: 800})
	if err != nil {
		t.Fatal(err)
	}
	if r.Townships[0].CoveredGrids != 1 || r.Townships[1].CoveredGrids != 1 || r.Totals.CoveredGrids != 2 {
		t.Errorf("townships %+v", r.Townships)
	}
	// and a user of 甲街道 sees it covering their grid, though F2 lies
	// outside their scope
	r, err = s.Coverage(ctx, jia, coverage.Query{Facility: "stations", Kind: "rescue_team", MaxDistanceM: 800})
	if err != nil {
		t.Fatal(err)
	}
	if r.Totals.Grids != 3 || r.Totals.CoveredGrids != 1 || len(r.Townships) != 1 {
		t.Errorf("甲街道's view: %+v", r.Totals)
	}
	// but for the 四个一 it counts where it stands
	rd, err := s.Readiness(ctx, admin, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rd.Townships[0].Missing, []string{"rescue_team"}) || rd.Townships[1].Counts["rescue_team"] != 1 {
		t.Errorf("readiness %+v", rd.Townships)
	}
}

func TestTravelTimeMatchesTheHandCount(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	// 90 s: A1 0 s (F1 stands on V1) and B1 60.0 s (F2's access leg) are
	// covered; A2 111.2 s from F1, A3 100.1 s from F3 (its access leg), B2
	// 171.2 s and B3 282.4 s from F2 are not
	r, err := s.Coverage(context.Background(), admin, coverage.Query{Facility: "stations", MaxMinutes: 1.5})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		code, facility string
		seconds        float64
	}{
		{"441502001001002", "甲街道应急管理办公室", step},
		{"441502001001003", "甲街道应急指挥平台", f3Access},
		{"441502002001002", "甲街道应急救援队", f2Access + step},
		{"441502002001003", "甲街道应急救援队", f2Access + 2*step},
	}
	if len(r.UncoveredGrids) != len(want) {
		t.Fatalf("uncovered %v, want A2 A3 B2 B3", codes(r.UncoveredGrids))
	}
	for i, w := range want {
		g := r.UncoveredGrids[i]
		if g.Code != w.code || g.NearestFacilityName == nil || *g.NearestFacilityName != w.facility || !near(val(g.Minutes), w.seconds/60, 0.006) {
			t.Errorf("uncovered %s: %v in %v min, want %s: %s in %.3f min", g.Code, g.NearestFacilityName, val(g.Minutes), w.code, w.facility, w.seconds/60)
		}
	}
	if !near(val(r.Share.Population), 1800.0/8500, 1e-9) || r.Network == nil || r.Network.Edges != 7 || r.Network.AccessSpeedKmh != 20 {
		t.Errorf("share %v, network %+v", val(r.Share.Population), r.Network)
	}
	// P1 (0.006, 0.002) joins at V1, 0.002236° away: 44.8 s from F1
	if r.UncoveredRiskPointsTotal != 3 { // P2, P3, P4 (P4 joins at V3: 0.003° = 60.0 s more than F3's 100.1 s)
		t.Errorf("uncovered risk points %+v", r.UncoveredRiskPoints)
	}
}

func TestTravelTimeLimitIsInclusive(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	exact := (f2Access + step) / 60 // B2, minutes
	for _, tc := range []struct {
		name    string
		limit   float64
		covered bool
	}{
		{"exactly at the limit is covered", exact, true},
		{"a millisecond short is not", exact - 0.001/60, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := s.Coverage(context.Background(), admin, coverage.Query{Facility: "stations", MaxMinutes: tc.limit})
			if err != nil {
				t.Fatal(err)
			}
			b2 := true
			for _, g := range r.UncoveredGrids {
				if g.Code == "441502002001002" {
					b2 = false
				}
			}
			if b2 != tc.covered {
				t.Errorf("B2 at %.6f min with limit %.6f: covered %v, want %v", exact, tc.limit, b2, tc.covered)
			}
		})
	}
}

func TestGridReachableOnlyByARoadDetour(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	ctx := context.Background()
	a3 := func(r *coverage.Result) *coverage.UncoveredGrid {
		for _, g := range r.UncoveredGrids {
			if g.Code == "441502001001003" {
				return &g
			}
		}
		return nil
	}
	// the rescue team is 778 m from A3 in a straight line...
	r, err := s.Coverage(ctx, admin, coverage.Query{Facility: "stations", Kind: "rescue_team", MaxDistanceM: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if a3(r) != nil {
		t.Fatal("A3 uncovered by distance")
	}
	// ...but the river between them makes the road go north and back:
	// access 60.0 s + 100.1 + 111.2 + 100.1 s = 371.4 s, 6.19 min
	detour := (f2Access + 2*climb + step) / 60
	r, err = s.Coverage(ctx, admin, coverage.Query{Facility: "stations", Kind: "rescue_team", MaxMinutes: 5})
	if err != nil {
		t.Fatal(err)
	}
	g := a3(r)
	if g == nil || !near(val(g.Minutes), detour, 0.006) || !near(val(g.DistanceM), 0.007*deg, 0.06) {
		t.Fatalf("A3 at 5 min: %+v, want uncovered at %.2f min (778.4 m away)", g, detour)
	}
	r, err = s.Coverage(ctx, admin, coverage.Query{Facility: "stations", Kind: "rescue_team", MaxMinutes: 6.5})
	if err != nil {
		t.Fatal(err)
	}
	if a3(r) != nil {
		t.Errorf("A3 not covered at 6.5 min")
	}
}

func TestOneWayStreetsAreRespected(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	ctx := context.Background()
	b3 := func() coverage.UncoveredGrid {
		t.Helper()
		r, err := s.Coverage(ctx, admin, coverage.Query{Facility: "stations", MaxMinutes: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range r.UncoveredGrids {
			if g.Code == "441502002001003" {
				return g
			}
		}
		t.Fatal("B3 covered in a minute")
		return coverage.UncoveredGrid{}
	}
	// E7 runs V5 → V6; against its direction only, B3 is out of reach
	if _, err := pool.Exec(ctx, "UPDATE roads SET oneway = -1 WHERE source_ref = 'E7'"); err != nil {
		t.Fatal(err)
	}
	if g := b3(); g.NearestFacilityID != nil || g.Minutes != nil {
		t.Errorf("B3 against a one-way street: %+v, want unreachable (no facility, no time)", g)
	}
	if _, err := pool.Exec(ctx, "UPDATE roads SET oneway = 1 WHERE source_ref = 'E7'"); err != nil {
		t.Fatal(err)
	}
	if g := b3(); g.NearestFacilityID == nil || !near(val(g.Minutes), (f2Access+2*step)/60, 0.006) {
		t.Errorf("B3 along a one-way street: %+v", g)
	}
}

func TestTravelTimeWithoutRoadsSaysWhatToDo(t *testing.T) {
	pool := newCity(t)
	if _, err := pool.Exec(context.Background(), "DELETE FROM roads; SELECT riskmap_roads_topology()"); err != nil {
		t.Fatal(err)
	}
	s := coverage.NewService(pool, coverage.Config{})
	_, err := s.Coverage(context.Background(), admin, coverage.Query{Facility: "stations", MaxMinutes: 10})
	if riskmap.ErrorCode(err) != riskmap.EUNPROCESSABLE {
		t.Fatalf("err %v, want unprocessable naming the import", err)
	}
	// distance needs no roads
	if _, err := s.Coverage(context.Background(), admin, coverage.Query{Facility: "stations", MaxDistanceM: 1000}); err != nil {
		t.Fatal(err)
	}
}

func TestCoverageStaysInTheUsersScope(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	ctx := context.Background()
	q := coverage.Query{Facility: "stations", MaxDistanceM: 1200}
	for _, tc := range []struct {
		name  string
		user  *riskmap.User
		area  string
		code  string
		grids int
	}{
		{"a township office sees its own grids", jia, "", "", 3},
		{"a planner of the county sees the county", planner, "", "", 6},
		{"a planner narrows to a township", planner, "441502002000", "", 3},
		{"an area outside the scope is forbidden", jia, "441502002000", riskmap.EFORBIDDEN, 0},
		{"an unknown area is not found", admin, "441502009000", riskmap.ENOTFOUND, 0},
		{"grid workers are forbidden", worker, "", riskmap.EFORBIDDEN, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q.Area = tc.area
			r, err := s.Coverage(ctx, tc.user, q)
			if tc.code != "" {
				if riskmap.ErrorCode(err) != tc.code {
					t.Fatalf("err %v, want %s", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Totals.Grids != tc.grids || len(r.Townships) != tc.grids/3 {
				t.Errorf("%d grids in %d townships, want %d", r.Totals.Grids, len(r.Townships), tc.grids)
			}
			for _, g := range r.UncoveredGrids {
				if tc.user == jia && g.TownshipCode != "441502001000" {
					t.Errorf("jia sees %s", g.Code)
				}
			}
		})
	}
}

func TestParametersAreCheckedByName(t *testing.T) {
	s := coverage.NewService(newCity(t), coverage.Config{})
	for _, tc := range []struct {
		q     coverage.Query
		field string
	}{
		{coverage.Query{Facility: "hospitals", MaxDistanceM: 1}, "facility"},
		{coverage.Query{Facility: "stations"}, "max_distance_m"},
		{coverage.Query{Facility: "stations", MaxDistanceM: 1, MaxMinutes: 1}, "max_minutes"},
		{coverage.Query{Facility: "stations", MaxDistanceM: -5}, "max_distance_m"},
		{coverage.Query{Facility: "stations", MaxMinutes: 601}, "max_minutes"},
		{coverage.Query{Facility: "depots", Kind: "office", MaxMinutes: 1}, "kind"},
		{coverage.Query{Facility: "stations", Kind: "hospital", MaxMinutes: 1}, "kind"},
	} {
		_, err := s.Coverage(context.Background(), admin, tc.q)
		var e *riskmap.Error
		if !errors.As(err, &e) || e.Code != riskmap.EINVALID || len(e.Details) == 0 || e.Details[0].Field != tc.field {
			t.Errorf("%+v: %v, want invalid %s", tc.q, err, tc.field)
		}
	}
}

func TestResultsAreCachedUntilTheDataChanges(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	ctx := context.Background()
	q := coverage.Query{Facility: "stations", MaxDistanceM: 1200}
	first, err := s.Coverage(ctx, admin, q)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Coverage(ctx, admin, q)
	if err != nil {
		t.Fatal(err)
	}
	if first.Cached || !again.Cached || again.DataVersion != first.DataVersion {
		t.Fatalf("cached %v then %v", first.Cached, again.Cached)
	}
	// a new station in B3 (made anywhere: here straight in SQL) changes the answer
	if _, err := pool.Exec(ctx, "INSERT INTO stations (name, kind, geom) VALUES ('乙镇应急救援队', 'rescue_team', ST_Point(0.05, 0, 4326))"); err != nil {
		t.Fatal(err)
	}
	after, err := s.Coverage(ctx, admin, q)
	if err != nil {
		t.Fatal(err)
	}
	if after.Cached || after.DataVersion == first.DataVersion || after.Totals.CoveredGrids != 6 {
		t.Errorf("after a new station: cached %v, covered %d of 6", after.Cached, after.Totals.CoveredGrids)
	}
	// a road speed is data too
	tq := coverage.Query{Facility: "stations", MaxMinutes: 1.5}
	before, _ := s.Coverage(ctx, admin, tq)
	if _, err := pool.Exec(ctx, "UPDATE road_speeds SET speed_kmh = 72 WHERE class = 'residential'"); err != nil {
		t.Fatal(err)
	}
	faster, err := s.Coverage(ctx, admin, tq)
	if err != nil {
		t.Fatal(err)
	}
	if faster.Cached || faster.Totals.CoveredGrids <= before.Totals.CoveredGrids {
		t.Errorf("doubling the speed: covered %d → %d (cached %v)", before.Totals.CoveredGrids, faster.Totals.CoveredGrids, faster.Cached)
	}
}

func TestListeningKeysTheCacheByChangeNotifications(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := listen(ctx, t, s, pool)
	q := coverage.Query{Facility: "stations", MaxDistanceM: 1200}
	first, err := s.Coverage(ctx, admin, q)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(first.DataVersion, "g") {
		t.Errorf("version %q while listening, want the notification counter", first.DataVersion)
	}
	if again, _ := s.Coverage(ctx, admin, q); again == nil || !again.Cached {
		t.Fatal("not cached while nothing changed")
	}
	// a change made elsewhere (psql, QGIS) is announced after it commits
	if _, err := pool.Exec(ctx, "UPDATE stations SET status = 'retired' WHERE external_id = 'F3'"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the change to be noticed", func() bool {
		r, err := s.Coverage(ctx, admin, q)
		return err == nil && !r.Cached
	})
	r, err := s.Coverage(ctx, admin, q)
	if err != nil || !r.Cached || r.Facilities != 2 {
		t.Errorf("after retiring F3: %v, %+v", err, r)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Listen: %v", err)
	}
	if s.Live() {
		t.Error("still live after the listener stopped")
	}
}
