package coverage_test

import (
	"context"
	"errors"
	"math"
	"sort"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"riskmap"
	"riskmap/coverage"
)

// The fixture city straddles the equator at lon 0–0.06: at z12 it lies in
// x 2048, rows 2047 (north) and 2048 (south); each row's tile holds every
// grid (clipped) and, with its buffer, points up to about 0.0055° across.
var (
	north12 = maptile.New(2048, 2047, 12)
	south12 = maptile.New(2048, 2048, 12)
)

type tileFeature struct {
	props map[string]any
	geom  orb.Geometry // WGS-84
}

func decodeTile(t *testing.T, data []byte, tile maptile.Tile) []tileFeature {
	t.Helper()
	if len(data) == 0 {
		return nil
	}
	layers, err := mvt.Unmarshal(data)
	if err != nil {
		t.Fatalf("tile %v: %v", tile, err)
	}
	if len(layers) != 1 || layers[0].Name != coverage.TileLayer || layers[0].Extent != 4096 {
		t.Fatalf("tile %v: layers %d, want one named %q", tile, len(layers), coverage.TileLayer)
	}
	layers.ProjectToWGS84(tile)
	var out []tileFeature
	for _, f := range layers[0].Features {
		out = append(out, tileFeature{props: f.Properties, geom: f.Geometry})
	}
	return out
}

func getTile(t *testing.T, s *coverage.Service, u *riskmap.User, q coverage.Query, tile maptile.Tile) (coverage.Tile, []tileFeature) {
	t.Helper()
	got, err := s.Tile(context.Background(), u, q, int(tile.Z), int(tile.X), int(tile.Y))
	if err != nil {
		t.Fatalf("tile %v: %v", tile, err)
	}
	return got, decodeTile(t, got.Data, tile)
}

// gridsOf maps the grid features' names to whether they are covered.
func gridsOf(fs []tileFeature) map[string]bool {
	out := map[string]bool{}
	for _, f := range fs {
		if f.props["kind"] == "grid" {
			out[f.props["name"].(string)] = f.props["covered"].(bool)
		}
	}
	return out
}

func TestCoverageTileColoursEveryGridByItsOutcome(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	q := coverage.Query{Facility: "stations", MaxDistanceM: 1200}
	_, fs := getTile(t, s, admin, q, north12)
	// as TestDistanceCoverageMatchesTheHandCount: B2 and B3 are out of reach
	want := map[string]bool{"A1": true, "A2": true, "A3": true, "B1": true, "B2": false, "B3": false}
	if got := gridsOf(fs); !equalMaps(got, want) {
		t.Errorf("grids %v, want %v", got, want)
	}
	for _, f := range fs {
		if f.props["name"] != "B3" {
			continue
		}
		if f.props["nearest_facility_name"] != "甲街道应急救援队" || !near(f.props["distance_m"].(float64), 0.023*deg, 0.06) ||
			f.props["code"] != "441502002001003" || f.props["population"] != float64(3000) {
			t.Errorf("B3 %v", f.props)
		}
		if _, ok := f.props["minutes"]; ok {
			t.Errorf("B3 has minutes by distance: %v", f.props)
		}
		// clipped to the tile and its buffer: the grid's northern half
		b := f.geom.Bound()
		if !near(b.Min[0], 0.05, 1e-4) || !near(b.Max[0], 0.06, 1e-4) || !near(b.Max[1], 0.01, 1e-4) || b.Min[1] > 0 {
			t.Errorf("B3 bound %v, want lon 0.05–0.06 up to lat 0.01", b)
		}
	}
	// every uncovered point, over the two rows, where it lies (a pixel at
	// z12 is 2.4 m)
	spots := map[string]orb.Point{}
	for _, tile := range []maptile.Tile{north12, south12} {
		_, fs := getTile(t, s, admin, q, tile)
		for _, f := range fs {
			if k := f.props["kind"].(string); k != "grid" {
				if f.props["covered"] != false {
					t.Errorf("point %v", f.props)
				}
				spots[k+":"+f.props["grid_code"].(string)+":"+levelOf(f.props)] = f.geom.(orb.Point)
			}
		}
	}
	wantSpots := map[string]orb.Point{
		"risk_point:441502002001002:2":    {0.045, 0.001},  // P2
		"risk_point:441502002001003:4":    {0.055, -0.002}, // P3
		"hazard_source:441502002001003:-": {0.058, 0},      // H2, no grade
	}
	if len(spots) != len(wantSpots) {
		t.Errorf("uncovered points %v, want %v", spots, wantSpots)
	}
	for k, p := range wantSpots {
		if g, ok := spots[k]; !ok || math.Abs(g[0]-p[0]) > 3e-5 || math.Abs(g[1]-p[1]) > 3e-5 {
			t.Errorf("point %s at %v, want %v", k, g, p)
		}
	}
}

func levelOf(p map[string]any) string {
	for _, k := range []string{"risk_level", "major_hazard_level"} {
		if v, ok := p[k].(float64); ok {
			return string(rune('0' + int(v)))
		}
	}
	return "-"
}

func equalMaps(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestCoverageTileByTravelTimeCarriesMinutes(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	// as TestGridReachableOnlyByARoadDetour: B1 is reached from F3 over the
	// detour, F2 (the rescue team) stands in it
	_, fs := getTile(t, s, admin, coverage.Query{Facility: "stations", MaxMinutes: 10}, north12)
	n := 0
	for _, f := range fs {
		if f.props["kind"] != "grid" {
			continue
		}
		n++
		if m, ok := f.props["minutes"].(float64); !ok || m < 0 || m > 60 {
			t.Errorf("grid %v: minutes %v", f.props["name"], f.props["minutes"])
		}
	}
	if n != 6 {
		t.Errorf("%d grids, want 6", n)
	}
}

func TestCoverageTileStaysInTheUsersScope(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	q := coverage.Query{Facility: "stations", MaxDistanceM: 1200}
	// the admin's tile is cached first: jia's must not be it
	if _, fs := getTile(t, s, admin, q, north12); len(gridsOf(fs)) != 6 {
		t.Fatalf("admin sees %v", gridsOf(fs))
	}
	_, fs := getTile(t, s, jia, q, north12)
	if got := gridsOf(fs); !equalMaps(got, map[string]bool{"A1": true, "A2": true, "A3": true}) {
		t.Errorf("jia (township A) sees %v", got)
	}
	for _, f := range fs {
		if f.props["kind"] != "grid" {
			t.Errorf("jia sees an uncovered point of township B: %v", f.props)
		}
	}
	_, err := s.Tile(context.Background(), worker, q, 12, 2048, 2047)
	if !errorCode(err, riskmap.EFORBIDDEN) {
		t.Errorf("worker: %v, want forbidden", err)
	}
	// an area outside the user's scope is refused, not emptied
	q.Area = "441502002000"
	if _, err := s.Tile(context.Background(), jia, q, 12, 2048, 2047); !errorCode(err, riskmap.EFORBIDDEN) {
		t.Errorf("jia asking for township B: %v, want forbidden", err)
	}
}

func errorCode(err error, code string) bool {
	var e *riskmap.Error
	return errors.As(err, &e) && e.Code == code
}

func TestCoverageTileAddressesAreChecked(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	q := coverage.Query{Facility: "stations", MaxDistanceM: 1200}
	for _, c := range []struct {
		name    string
		z, x, y int
		q       coverage.Query
		code    string
	}{
		{"zoom above 22", 23, 0, 0, q, riskmap.EINVALID},
		{"negative zoom", -1, 0, 0, q, riskmap.EINVALID},
		{"x beyond the zoom", 2, 4, 0, q, riskmap.EINVALID},
		{"y beyond the zoom", 2, 0, 4, q, riskmap.EINVALID},
		{"no limit", 12, 2048, 2047, coverage.Query{Facility: "stations"}, riskmap.EINVALID},
		{"unknown facility", 12, 2048, 2047, coverage.Query{Facility: "hospitals", MaxDistanceM: 1}, riskmap.EINVALID},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := s.Tile(context.Background(), admin, c.q, c.z, c.x, c.y); !errorCode(err, c.code) {
				t.Errorf("%v, want %s", err, c.code)
			}
		})
	}
	// below the layer's zoom range: empty, and nothing computed
	if got, err := s.Tile(context.Background(), admin, q, coverage.TileMinZoom-1, 64, 63); err != nil || len(got.Data) != 0 {
		t.Errorf("z%d: %d bytes, %v; want an empty tile", coverage.TileMinZoom-1, len(got.Data), err)
	}
	// a tile far from the city: empty
	if got, err := s.Tile(context.Background(), admin, q, 12, 100, 100); err != nil || len(got.Data) != 0 {
		t.Errorf("far tile: %d bytes, %v", len(got.Data), err)
	}
}

// Without change notifications the data version is read from the tables,
// so a change shows at once.
func TestCoverageTileShowsAChangeAtOnceWithoutNotifications(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	q := coverage.Query{Facility: "stations", MaxDistanceM: 1200}
	first, fs := getTile(t, s, admin, q, north12)
	if gridsOf(fs)["B3"] {
		t.Fatal("B3 covered before its office is active")
	}
	if again, _ := getTile(t, s, admin, q, north12); !again.Cached || again.ETag != first.ETag {
		t.Errorf("second read: cached %v, etag %s vs %s", again.Cached, again.ETag, first.ETag)
	}
	if _, err := pool.Exec(context.Background(), "UPDATE stations SET status = 'active' WHERE external_id = 'F4'"); err != nil {
		t.Fatal(err)
	}
	after, fs := getTile(t, s, admin, q, north12)
	if after.Cached || after.ETag == first.ETag || !gridsOf(fs)["B3"] || !gridsOf(fs)["B2"] {
		t.Errorf("after F4 opened in B3: cached %v, grids %v", after.Cached, gridsOf(fs))
	}
}

// While listening, a cached tile costs no round trip; Sync (which the API
// runs after every write) makes the next tile show what was committed.
func TestCoverageTileFollowsChangesAcrossReplicas(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := listen(ctx, t, s, pool)
	q := coverage.Query{Facility: "depots", MaxDistanceM: 600}
	first, fs := getTile(t, s, admin, q, north12)
	before := gridsOf(fs)
	if again, _ := getTile(t, s, admin, q, north12); !again.Cached {
		t.Error("not cached while nothing changed")
	}
	// D3 in B1 reopens, written by another client (QGIS, another replica):
	// B1, whose point lies 555.98 m from D3, turns covered
	if _, err := pool.Exec(ctx, "UPDATE depots SET status = 'active' WHERE external_id = 'D3'"); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	after, fs := getTile(t, s, admin, q, north12)
	got := gridsOf(fs)
	if after.Cached || before["B1"] || !got["B1"] {
		t.Errorf("after D3 reopened: cached %v; B1 before %v, after %v", after.Cached, before["B1"], got["B1"])
	}
	if after.ETag == first.ETag {
		t.Error("same entity tag for a changed tile")
	}
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) != 6 {
		t.Errorf("grids %v", keys)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Listen: %v", err)
	}
}

// A map asks for a dozen tiles at once: the coverage behind them is
// computed once and every tile agrees with it.
func TestConcurrentCoverageTilesShareOneComputation(t *testing.T) {
	pool := newCity(t)
	s := coverage.NewService(pool, coverage.Config{})
	q := coverage.Query{Facility: "stations", MaxDistanceM: 1200}
	type answer struct {
		grids map[string]bool
		err   error
	}
	out := make(chan answer, 12)
	for i := range 12 {
		tile := []maptile.Tile{north12, south12}[i%2]
		go func() {
			got, err := s.Tile(context.Background(), admin, q, int(tile.Z), int(tile.X), int(tile.Y))
			if err != nil {
				out <- answer{err: err}
				return
			}
			layers, err := mvt.Unmarshal(got.Data)
			if err != nil {
				out <- answer{err: err}
				return
			}
			g := map[string]bool{}
			for _, f := range layers[0].Features {
				if f.Properties["kind"] == "grid" {
					g[f.Properties["name"].(string)] = f.Properties["covered"].(bool)
				}
			}
			out <- answer{grids: g}
		}()
	}
	want := map[string]bool{"A1": true, "A2": true, "A3": true, "B1": true, "B2": false, "B3": false}
	for range 12 {
		a := <-out
		if a.err != nil || !equalMaps(a.grids, want) {
			t.Errorf("tile: %v, grids %v", a.err, a.grids)
		}
	}
}
