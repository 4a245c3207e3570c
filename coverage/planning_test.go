package coverage_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"riskmap"
	"riskmap/coverage"
)

func TestReadinessListsWhatEachTownshipLacks(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	ctx := context.Background()
	// 甲街道: office F1, platform F3, depot D1; its rescue team F2 stands in
	// 乙镇. 乙镇: F2 and depot D2; its office F4 and depot D3 are retired.
	r, err := s.Readiness(ctx, planner, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if r.Total != 2 || r.Complete != 0 || r.Incomplete != 2 || len(r.Townships) != 2 {
		t.Fatalf("readiness %+v", r)
	}
	for i, want := range [][]string{{"rescue_team"}, {"office", "platform"}} {
		if got := r.Townships[i].Missing; !reflect.DeepEqual(got, want) || r.Townships[i].Complete {
			t.Errorf("%s missing %v, want %v", r.Townships[i].Name, got, want)
		}
	}
	if c := r.Townships[1].Counts; c["rescue_team"] != 1 || c["depot"] != 1 || c["office"] != 0 {
		t.Errorf("乙镇 counts %v", c)
	}
	// a rescue team placed in 甲街道 completes it
	if _, err := pool.Exec(ctx, "INSERT INTO stations (name, kind, geom) VALUES ('甲街道第二救援队', 'rescue_team', ST_Point(0.012, 0.004, 4326))"); err != nil {
		t.Fatal(err)
	}
	r, err = s.Readiness(ctx, jia, "", true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Total != 1 || r.Complete != 1 || len(r.Townships) != 0 {
		t.Errorf("甲街道 after its rescue team, incomplete only: %+v", r)
	}
	if _, err := s.Readiness(ctx, worker, "", false); riskmap.ErrorCode(err) != riskmap.EFORBIDDEN {
		t.Errorf("worker: %v", err)
	}
}

func TestDepotSufficiencyAgainstTheNormsPer1000Residents(t *testing.T) {
	pool := newCity(t)
	ctx := context.Background()
	_, err := pool.Exec(ctx, `
	INSERT INTO depots (external_id, name, geom) VALUES ('D4', '甲街道二号仓库', ST_Point(0.005, -0.005, 4326));
	INSERT INTO depot_items (depot_id, item, unit, quantity)
	SELECT d.id, i.item, i.unit, i.q FROM depots d JOIN (VALUES
	  ('D1', 'tents', '顶', 7), ('D1', 'quilts', '床', 69), ('D1', 'drinking_water', '升', 1000),
	  ('D4', 'drinking_water', '桶', 100), ('D1', 'helmets', '顶', 5),
	  ('D2', 'tents', '顶', 12), ('D2', 'quilts', '床', 100), ('D2', 'drinking_water', '升', 1500),
	  ('D3', 'tents', '顶', 1000)) AS i(depot, item, unit, q) ON d.external_id = i.depot`)
	if err != nil {
		t.Fatal(err)
	}
	var norms []coverage.Norm
	for _, n := range coverage.DefaultNorms() {
		if n.Item == "tents" || n.Item == "quilts" || n.Item == "drinking_water" {
			norms = append(norms, n)
		}
	}
	s := coverage.NewService(pool, coverage.Config{Norms: norms})
	r, err := s.Sufficiency(ctx, admin, "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Total != 2 || r.Sufficient != 1 {
		t.Fatalf("sufficiency %+v", r)
	}
	// 甲街道, 3,500 residents: tents 2/1000 → 7 (has exactly 7: enough),
	// quilts 70 (69: 1 short), water 1,050 L (1,000 L; the 100 barrels are
	// another unit and not added)
	a := r.Townships[0]
	if a.Population != 3500 || a.Depots != 2 || a.Sufficient || !reflect.DeepEqual(a.Short, []string{"quilts", "drinking_water"}) {
		t.Fatalf("甲街道 %+v", a)
	}
	want := []struct {
		item       string
		required   float64
		stock      float64
		sufficient bool
		shortfall  float64
		otherUnits int
	}{
		{"tents", 7, 7, true, 0, 0},
		{"quilts", 70, 69, false, 1, 0},
		{"drinking_water", 1050, 1000, false, 50, 1},
	}
	for i, w := range want {
		it := a.Items[i]
		if it.Item != w.item || it.Required != w.required || it.Stock != w.stock || it.Sufficient != w.sufficient ||
			it.Shortfall != w.shortfall || len(it.OtherUnits) != w.otherUnits {
			t.Errorf("甲街道 %s: %+v, want %+v", w.item, it, w)
		}
	}
	if len(a.Unnormed) != 1 || a.Unnormed[0].Item != "helmets" {
		t.Errorf("unnormed %+v", a.Unnormed)
	}
	// 乙镇, 5,000 residents: 10 tents, 100 quilts, 1,500 L all met; the
	// retired D3's 1,000 tents do not count
	b := r.Townships[1]
	if b.Population != 5000 || !b.Sufficient || b.Depots != 1 || b.Items[0].Stock != 12 || b.Items[0].Required != 10 {
		t.Errorf("乙镇 %+v", b)
	}
	if _, err := coverage.ParseNorms("helmets=5"); err == nil {
		t.Error("a new item without a unit was accepted")
	}
	if n, err := coverage.ParseNorms("tents=3,helmets=5:顶"); err != nil || n[0].Per1000 != 3 || n[len(n)-1].Unit != "顶" {
		t.Errorf("ParseNorms: %v %+v", err, n)
	}
}

func TestSitingPicksTheGreatestGainFirst(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	ctx := context.Background()
	// Demand (population × weight of the grid's gravest risk level): A1
	// 1000×8 (P1, level 1), A2 2000×1, A3 500×2 (P4), B1 800×1, B2 1200×4
	// (P2), B3 3000×1 (P3, level 4) = 19,600. The rescue team alone covers
	// A3 and B1 within 1,200 m: 1,800.
	// A site at A1's point reaches A1 and A2 (1,111.95 m): +10,000 (A2's
	// point reaches the same; the earlier candidate wins the tie). Then B2's
	// point reaches B2 and B3: +7,800.
	q := coverage.SitingQuery{Query: coverage.Query{Facility: "stations", Kind: "rescue_team", MaxDistanceM: 1200}, K: 3}
	r, err := s.Siting(ctx, admin, q)
	if err != nil {
		t.Fatal(err)
	}
	if r.Before.Demand != 19600 || r.Before.CoveredDemand != 1800 || r.CandidateCount != 6 {
		t.Fatalf("before %+v, %d candidates", r.Before, r.CandidateCount)
	}
	if len(r.Sites) != 2 || !strings.Contains(r.Note, "only 2 of 3") {
		t.Fatalf("sites %+v, note %q", r.Sites, r.Note)
	}
	s1, s2 := r.Sites[0], r.Sites[1]
	if s1.Gain != 10000 || *s1.GridCode != "441502001001001" || !reflect.DeepEqual(s1.NewGridCodes, []string{"441502001001001", "441502001001002"}) ||
		!near(val(s1.ShareAfter), 11800.0/19600, 1e-12) || s1.NewPopulation != 3000 {
		t.Errorf("first site %+v", s1)
	}
	if s2.Gain != 7800 || *s2.GridCode != "441502002001002" || s2.NewGrids != 2 || val(s2.ShareAfter) != 1 {
		t.Errorf("second site %+v", s2)
	}
	if r.After.CoveredDemand != 19600 || r.Cached {
		t.Errorf("after %+v", r.After)
	}
	again, err := s.Siting(ctx, admin, q)
	if err != nil || !again.Cached || again.Sites[0].Gain != 10000 {
		t.Fatalf("second call: %v cached %v", err, again != nil && again.Cached)
	}
	// data changed: a rescue team at A1 leaves only B2 and B3 to gain
	if _, err := pool.Exec(ctx, "INSERT INTO stations (name, kind, geom) VALUES ('新救援队', 'rescue_team', ST_Point(0.005, 0.001, 4326))"); err != nil {
		t.Fatal(err)
	}
	after, err := s.Siting(ctx, admin, q)
	if err != nil {
		t.Fatal(err)
	}
	if after.Cached || len(after.Sites) != 1 || after.Sites[0].Gain != 7800 {
		t.Errorf("after a new station: cached %v, sites %+v", after.Cached, after.Sites)
	}
}

func TestSitingByTravelTime(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	// within 3 min the rescue team reaches B1 (60.0 s) and B2 (171.2 s).
	// A2's point (on V2) reaches V1 and V3 in 111.2 s: A1, A2, A3 = +11,000;
	// then B3: from B2's point (V5 → V6 111.2 s) +3,000, before B3's own
	// point, which comes later in code order.
	r, err := s.Siting(context.Background(), admin, coverage.SitingQuery{
		Query: coverage.Query{Facility: "stations", Kind: "rescue_team", MaxMinutes: 3}, K: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Sites) != 2 || r.Sites[0].Gain != 11000 || *r.Sites[0].GridCode != "441502001001002" ||
		r.Sites[1].Gain != 3000 || *r.Sites[1].GridCode != "441502002001002" || val(r.After.Share) != 1 {
		t.Errorf("sites %+v", r.Sites)
	}
	// candidates of one's own choosing
	r, err = s.Siting(context.Background(), admin, coverage.SitingQuery{
		Query: coverage.Query{Facility: "stations", Kind: "rescue_team", MaxDistanceM: 1200}, K: 1,
		Candidates: coverage.CandidatePoints, Points: [][2]float64{{0.055, 0.005}, {0.02, 0}}})
	if err != nil {
		t.Fatal(err)
	}
	// (0.02, 0) reaches A2 (555.98 m) and A1 (1,667.9 m: no): 2,000; the
	// other B3 (555.98 m) and B2 (1,223.1 m: no): 3,000
	if len(r.Sites) != 1 || r.Sites[0].Gain != 3000 || r.Sites[0].Lon != 0.055 {
		t.Errorf("point candidates: %+v", r.Sites)
	}
}

func TestDistanceAgreesWithPostGIS(t *testing.T) {
	pool := newCity(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		lon1, lat1 := 114+rng.Float64()*3, 22+rng.Float64()*2
		lon2, lat2 := lon1+(rng.Float64()-0.5)*0.5, lat1+(rng.Float64()-0.5)*0.5
		if i%20 == 0 {
			lon2, lat2 = lon1+rng.Float64()*120, lat1-rng.Float64()*80 // far
		}
		var pg float64
		err := pool.QueryRow(context.Background(), "SELECT ST_Distance(ST_Point($1, $2, 4326)::geography, ST_Point($3, $4, 4326)::geography, false)",
			lon1, lat1, lon2, lat2).Scan(&pg)
		if err != nil {
			t.Fatal(err)
		}
		if got := coverage.Distance(lon1, lat1, lon2, lat2); !near(got, pg, 1e-6*max(1, pg/1e6)) {
			t.Fatalf("(%v %v)–(%v %v): %v m, PostGIS %v m", lon1, lat1, lon2, lat2, got, pg)
		}
	}
	var a, b float64
	err := pool.QueryRow(context.Background(), `SELECT sum(riskmap_area_m2(geom)), sum(ST_Area(geom::geography, false))
	    FROM (SELECT ST_Translate(geom, 115, 22.8) AS geom FROM grids) g`).Scan(&a, &b)
	if err != nil {
		t.Fatal(err)
	}
	if !near(a/b, 1, 1e-6) {
		t.Errorf("riskmap_area_m2 %v m², PostGIS sphere %v m²", a, b)
	}
}

func TestExportsCarryEveryGridAndTheUncoveredPoints(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	ctx := context.Background()
	r, err := s.Coverage(ctx, admin, coverage.Query{Facility: "stations", MaxDistanceM: 1200})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.WriteGeoJSON(ctx, &buf, r); err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Type     string
		Share    map[string]*float64
		Features []struct {
			Geometry struct {
				Type string
			}
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &fc); err != nil {
		t.Fatalf("GeoJSON: %v\n%s", err, buf.Bytes())
	}
	layers := map[string]int{}
	covered := 0
	for _, f := range fc.Features {
		layers[f.Properties["layer"].(string)+"/"+f.Geometry.Type]++
		if f.Properties["covered"] == true {
			covered++
		}
	}
	if fc.Type != "FeatureCollection" || layers["grids/MultiPolygon"] != 6 || layers["risk_points/Point"] != 2 ||
		layers["hazard_sources/Point"] != 1 || covered != 4 || !near(val(fc.Share["grids"]), 4.0/6, 1e-9) {
		t.Errorf("GeoJSON: %v layers, %d covered, share %v", layers, covered, fc.Share)
	}
	buf.Reset()
	if err := r.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\ufeff")) {
		t.Error("CSV without a byte-order mark")
	}
	recs, err := csv.NewReader(bytes.NewReader(buf.Bytes()[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+6+2+1 || recs[0][0] != "layer" || recs[5][7] != "false" || recs[5][1] != "441502002001002" || recs[5][8] == "" {
		t.Errorf("CSV rows %v", recs)
	}
}

func TestTheSQLFunctionAgreesWithTheService(t *testing.T) {
	pool := newCity(t)
	ctx := context.Background()
	r, err := coverage.NewService(pool, coverage.Config{}).Coverage(ctx, admin, coverage.Query{Facility: "stations", MaxDistanceM: 0.013 * deg})
	if err != nil {
		t.Fatal(err)
	}
	uncovered := map[string]float64{}
	for _, g := range r.UncoveredGrids {
		uncovered[g.Code] = *g.DistanceM
	}
	rows, err := pool.Query(ctx, "SELECT code, covered, distance_m FROM riskmap_coverage_grids('stations', $1)", 0.013*deg)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var code string
		var covered bool
		var d float64
		if err := rows.Scan(&code, &covered, &d); err != nil {
			t.Fatal(err)
		}
		n++
		want, out := uncovered[code]
		if covered == out || (out && !near(d, want, 0.05)) {
			t.Errorf("%s: SQL covered %v at %.2f m; the service: uncovered %v at %.2f m", code, covered, d, out, want)
		}
	}
	if err := rows.Err(); err != nil || n != 6 {
		t.Fatalf("%d grids: %v", n, err)
	}
	if _, err := pool.Exec(ctx, "SELECT * FROM riskmap_coverage_grids('hospitals', 100)"); err == nil {
		t.Error("an unknown facility was accepted")
	}
}
