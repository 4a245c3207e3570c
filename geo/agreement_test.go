package geo_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"riskmap/geo"
	"riskmap/internal/dbtest"
)

// The in-memory index must place points exactly as the database does
// (riskmap_grid_at: ST_Covers, smallest code on shared boundaries), on the
// demo city's ~1,500 grids, including points on edges and vertices.
func TestGridIndexAgreesWithPostGISOn100000Points(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.New(t, dbtest.Demo)
	rows, err := pool.Query(ctx, "SELECT code, ST_AsBinary(geom) FROM grids ORDER BY code")
	if err != nil {
		t.Fatal(err)
	}
	var grids []geo.Grid
	for rows.Next() {
		var code string
		var b []byte
		if err := rows.Scan(&code, &b); err != nil {
			t.Fatal(err)
		}
		g, err := wkb.Unmarshal(b)
		if err != nil {
			t.Fatal(err)
		}
		grids = append(grids, geo.Grid{Code: code, Shape: g.(orb.MultiPolygon)})
	}
	if rows.Err() != nil || len(grids) < 1000 {
		t.Fatalf("loaded %d grids: %v", len(grids), rows.Err())
	}
	ix := geo.NewGridIndex(grids)

	// 70% uniform over the city's box (some fall outside every grid), 15%
	// exactly on grid vertices, 15% on edges (midpoints, which in floating
	// point may land a hair to either side: both engines must agree anyway)
	rng := rand.New(rand.NewPCG(2026, 11))
	var box orb.Bound
	for i, g := range grids {
		if i == 0 {
			box = g.Shape.Bound()
		}
		box = box.Union(g.Shape.Bound())
	}
	const n = 100000
	lons, lats := make([]float64, n), make([]float64, n)
	kinds := make([]string, n)
	for i := range n {
		var p orb.Point
		switch r := rng.Float64(); {
		case r < 0.70:
			p = orb.Point{box.Min[0] + rng.Float64()*(box.Max[0]-box.Min[0]), box.Min[1] + rng.Float64()*(box.Max[1]-box.Min[1])}
			kinds[i] = "uniform"
		default:
			ring := grids[rng.IntN(len(grids))].Shape[0][0]
			j := rng.IntN(len(ring) - 1)
			if r < 0.85 {
				p = ring[j]
				kinds[i] = "vertex"
			} else {
				p = orb.Point{(ring[j][0] + ring[j+1][0]) / 2, (ring[j][1] + ring[j+1][1]) / 2}
				kinds[i] = "edge"
			}
		}
		lons[i], lats[i] = p[0], p[1]
	}
	rows, err = pool.Query(ctx, `SELECT coalesce(riskmap_grid_at(ST_SetSRID(ST_MakePoint(x, y), 4326)), '')
		FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS u(x, y, i) ORDER BY i`, lons, lats)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	i, mismatches, outside := 0, 0, 0
	for rows.Next() {
		var want string
		if err := rows.Scan(&want); err != nil {
			t.Fatal(err)
		}
		got, _ := ix.Locate(orb.Point{lons[i], lats[i]})
		if got != want {
			mismatches++
			if mismatches <= 10 {
				t.Errorf("%s point %d (%.15g, %.15g): index %q, PostGIS %q", kinds[i], i, lons[i], lats[i], got, want)
			}
		}
		if want == "" {
			outside++
		}
		i++
	}
	if rows.Err() != nil || i != n {
		t.Fatalf("compared %d of %d: %v", i, n, rows.Err())
	}
	if mismatches > 0 {
		t.Fatalf("%d of %d points placed differently", mismatches, n)
	}
	if outside == 0 || outside == n {
		t.Fatalf("degenerate sample: %d points outside every grid", outside)
	}
	t.Logf("%d points agree (%d outside every grid)", n, outside)
}
