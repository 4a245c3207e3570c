package importers_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"riskmap"
	"riskmap/importers"
)

// Points where placement is delicate in the fixture (grids are envelopes
// sharing the edges lon 115.5, 116.0 and 116.5): shared edges and vertices
// (the smallest code wins), the city's outer edge, and ordinary points.
var delicatePoints = [][2]float64{
	{115.5, 23.0}, {115.5, 22.5}, {115.5, 23.5}, {116.0, 23.0}, {116.0, 22.5}, {116.5, 23.2},
	{115.0, 23.0}, {117.0, 22.7}, {115.0, 22.5}, {117.0, 23.5},
	{115.25, 23.0}, {115.75, 22.6}, {116.25, 23.4}, {116.75, 22.9}, {115.4999999, 23.0}, {115.5000001, 23.0},
}

func TestImportedGridCodesAgreeWithTheDatabasesPlacement(t *testing.T) {
	e := newEnv(t)
	var fs []map[string]any
	for i, p := range delicatePoints {
		fs = append(fs, pointFeature(fmt.Sprintf("D-%d", i), p[0], p[1], nil))
	}
	for i := 0; i < 200; i++ { // and a spread of ordinary ones
		fs = append(fs, pointFeature(fmt.Sprintf("S-%d", i), 115.0+2.0*float64(i%41)/40, 22.5+float64(i%17)/16, nil))
	}
	rep := e.run(e.write("edges.geojson", collection(fs...)), importers.Options{Layer: "risk_points", BatchSize: 50})
	if rep.Failed() || rep.Inserted != len(fs) || len(rep.Warnings) != 0 {
		t.Fatalf("import: %+v", rep)
	}
	rows, err := e.pool.Query(context.Background(), `SELECT external_id, grid_code, township_code, county_code, riskmap_grid_at(geom)
		FROM risk_points ORDER BY external_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var ext, grid, township, county string
		var want *string
		if err := rows.Scan(&ext, &grid, &township, &county, &want); err != nil {
			t.Fatal(err)
		}
		n++
		if want == nil || grid != *want || township != grid[:9]+"000" || county != grid[:6]+"000000" {
			t.Errorf("%s: imported into grid %s (%s, %s), the database places it in %v", ext, grid, township, county, want)
		}
	}
	if n != len(fs) {
		t.Fatalf("%d rows, want %d", n, len(fs))
	}
}

func TestTheBulkPlacementCheckRefusesAWrongGridCode(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	insert := func(tx pgx.Tx, lon, lat float64, grid, township string) error {
		county := ""
		if len(grid) >= 6 {
			county = grid[:6] + "000000"
		}
		_, err := tx.Exec(ctx, `INSERT INTO risk_points (name, category, risk_level, geom, grid_code, township_code, county_code)
			VALUES ('P', 'flood', 1, ST_SetSRID(ST_Point($1, $2), 4326), $3, $4, $5)`, lon, lat, grid, township, county)
		return err
	}
	inVerify := func(fn func(tx pgx.Tx) error) error {
		return pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT set_config('riskmap.placement', 'verify', true)"); err != nil {
				return err
			}
			return fn(tx)
		})
	}
	cases := []struct {
		name     string
		write    func(tx pgx.Tx) error
		refusal  string // "" when the write must pass
		wantGrid string
	}{
		{"the right codes pass", func(tx pgx.Tx) error {
			return insert(tx, 115.25, 23.0, "441502001001001", "441502001000")
		}, "", "441502001001001"},
		{"a grid that does not cover the point", func(tx pgx.Tx) error {
			return insert(tx, 115.25, 23.0, "441502001001002", "441502001000")
		}, "lies in grid 441502001001001, not in grid 441502001001002", ""},
		{"the larger code of a shared edge", func(tx pgx.Tx) error {
			return insert(tx, 115.5, 23.0, "441502001001002", "441502001000")
		}, "lies in grid 441502001001001, not in grid 441502001001002", ""},
		{"the larger code of a shared vertex", func(tx pgx.Tx) error {
			return insert(tx, 116.0, 22.5, "441502002001001", "441502002000")
		}, "lies in grid 441502001001002, not in grid 441502002001001", ""},
		{"a township code that is not the grid's", func(tx pgx.Tx) error {
			return insert(tx, 115.25, 23.0, "441502001001001", "441502002000")
		}, "lies in grid 441502001001001", ""},
		{"a grid that does not exist", func(tx pgx.Tx) error {
			return insert(tx, 115.25, 23.0, "441502001001009", "441502001000")
		}, "foreign key", ""},
		{"a point in no grid", func(tx pgx.Tx) error {
			return insert(tx, 118.0, 23.0, "441502001001001", "441502001000")
		}, "point (118.0000000, 23.0000000) lies in no grid", ""},
		{"a point moved without its grid", func(tx pgx.Tx) error {
			if err := insert(tx, 115.25, 23.0, "441502001001001", "441502001000"); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "UPDATE risk_points SET geom = ST_SetSRID(ST_Point(116.75, 23.0), 4326)")
			return err
		}, "lies in grid 441521101001001, not in grid 441502001001001", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := e.pool.Exec(ctx, "DELETE FROM risk_points"); err != nil {
				t.Fatal(err)
			}
			err := inVerify(c.write)
			if c.refusal == "" {
				var grid string
				if err != nil || e.pool.QueryRow(ctx, "SELECT grid_code FROM risk_points").Scan(&grid) != nil || grid != c.wantGrid {
					t.Fatalf("refused or misplaced (%q): %v", grid, err)
				}
				return
			}
			var pe *pgconn.PgError
			// (the foreign key on grid_code answers first for a grid that does not exist)
			if !errors.As(err, &pe) || (pe.Code != "RM001" || !strings.Contains(pe.Message, c.refusal)) && (pe.Code != "23503" || c.refusal != "foreign key") {
				t.Fatalf("got %v, want RM001 %q", err, c.refusal)
			}
			var n int
			if err := e.pool.QueryRow(ctx, "SELECT count(*) FROM risk_points").Scan(&n); err != nil || n != 0 {
				t.Fatalf("%d rows written", n)
			}
		})
	}

	// without the mode, the row trigger places every point whatever the
	// writer says (QGIS, psql, the API)
	t.Run("a write without the mode is placed by the row trigger", func(t *testing.T) {
		err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
			return insert(tx, 115.5, 23.0, "441521101001001", "441521101000")
		})
		var grid, township string
		if err != nil || e.pool.QueryRow(ctx, "SELECT grid_code, township_code FROM risk_points").Scan(&grid, &township) != nil ||
			grid != "441502001001001" || township != "441502001000" {
			t.Fatalf("placed in %q %q: %v", grid, township, err)
		}
	})
}

func TestAnImportWhoseGridsChangeMidwayIsPlacedByTheDatabase(t *testing.T) {
	for _, mode := range []importers.BulkMode{importers.BulkOff, importers.BulkOn} {
		t.Run("bulk "+mode.String(), func(t *testing.T) { importWhileGridsChange(t, mode) })
	}
}

func importWhileGridsChange(t *testing.T, mode importers.BulkMode) {
	e := newEnv(t)
	ctx := riskmap.NewContextWithUser(context.Background(), &riskmap.User{Username: "tester", Role: "admin"})
	fc := collection(pointFeature("M-1", 115.45, 23.0, nil), pointFeature("M-2", 115.25, 23.0, nil), pointFeature("M-3", 116.75, 23.0, nil))
	path := e.write("moved.geojson", fc)
	opts := importers.Options{Layer: "risk_points", Bulk: mode}
	id, err := e.jobs.Create(ctx, nil, "moved.geojson", opts)
	if err != nil {
		t.Fatal(err)
	}
	// once the rows are placed in Go, the edge between grids 001 and 002
	// moves from 115.5 to 115.4: M-1 now lies in 002
	var once sync.Once
	var moveErr error
	rep, err := e.jobs.Run(ctx, id, path, "moved.geojson", opts, func(p importers.Progress) {
		if p.Phase != "checking" {
			return
		}
		once.Do(func() {
			moveErr = pgx.BeginFunc(context.Background(), e.pool, func(tx pgx.Tx) error {
				_, err := tx.Exec(context.Background(), `SET CONSTRAINTS ALL DEFERRED;
					UPDATE grids SET geom = ST_Multi(ST_MakeEnvelope(115.0, 22.5, 115.4, 23.5, 4326)) WHERE code = '441502001001001';
					UPDATE grids SET geom = ST_Multi(ST_MakeEnvelope(115.4, 22.5, 116.0, 23.5, 4326)) WHERE code = '441502001001002'`)
				return err
			})
		})
	})
	if err != nil || moveErr != nil {
		t.Fatalf("import: %v; moving the edge: %v", err, moveErr)
	}
	if rep.Failed() || rep.Inserted != 3 || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "placed them again") {
		t.Fatalf("report: %+v", rep)
	}
	var grid string
	if err := e.pool.QueryRow(context.Background(), "SELECT grid_code FROM risk_points WHERE external_id = 'M-1'").Scan(&grid); err != nil || grid != "441502001001002" {
		t.Fatalf("M-1 in grid %q (%v), want 441502001001002", grid, err)
	}
}

func TestABulkImportsAuditHasEveryRowAsRowLevelAuditingWritesIt(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var fs []map[string]any
	for i := 0; i < 120; i++ {
		fs = append(fs, pointFeature(fmt.Sprintf("A-%03d", i), 115.01+float64(i)*0.015, 23.0, map[string]any{"population_exposed": i}))
	}
	rep := e.run(e.write("a.geojson", collection(fs...)), importers.Options{Layer: "risk_points", BatchSize: 25})
	if rep.Failed() || rep.Inserted != 120 {
		t.Fatalf("import: %+v", rep)
	}
	// the same file with 30 rows renamed: 30 updates
	for i := 0; i < 30; i++ {
		fs[i*4]["properties"].(map[string]any)["name"] = fmt.Sprintf("改名%d", i)
	}
	rep = e.run(e.write("b.geojson", collection(fs...)), importers.Options{Layer: "risk_points", BatchSize: 25})
	if rep.Failed() || rep.Updated != 30 || rep.Unchanged != 90 {
		t.Fatalf("re-import: %+v", rep)
	}
	// a point written the way the API and QGIS write, audited row by row
	if _, err := e.pool.Exec(ctx, `INSERT INTO risk_points (name, category, risk_level, geom)
		VALUES ('单行', 'flood', 1, ST_SetSRID(ST_Point(116.2, 23.1), 4326))`); err != nil {
		t.Fatal(err)
	}
	rowJSON := `jsonb_set(to_jsonb(r) - 'geom_3857', '{geom}', ST_AsGeoJSON(r.geom, 15)::jsonb)`
	var inserts, updates, rightInserts, rightUpdates, keysets int
	var actors string
	err := e.pool.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE a.action = 'insert' AND r.external_id IS NOT NULL),
		       count(*) FILTER (WHERE a.action = 'update'),
		       count(*) FILTER (WHERE a.action = 'insert' AND r.external_id IS NOT NULL AND a.before IS NULL
		                        AND a.after = coalesce((SELECT u.before FROM audit_log u WHERE u.tbl = a.tbl AND u.row_id = a.row_id AND u.action = 'update'), `+rowJSON+`)),
		       count(*) FILTER (WHERE a.action = 'update' AND a.after = `+rowJSON+` AND a.before ->> 'name' <> r.name
		                        AND (a.after ->> 'import_job_id')::bigint > (a.before ->> 'import_job_id')::bigint -- the second job wrote it
		                        AND (a.before - 'name' - 'version' - 'updated_at' - 'import_job_id') = (a.after - 'name' - 'version' - 'updated_at' - 'import_job_id')),
		       count(DISTINCT (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(a.after) k)),
		       string_agg(DISTINCT a.actor, ',') FILTER (WHERE r.external_id IS NOT NULL)
		  FROM audit_log a JOIN risk_points r ON r.id::text = a.row_id
		 WHERE a.tbl = 'risk_points'`).Scan(&inserts, &updates, &rightInserts, &rightUpdates, &keysets, &actors)
	if err != nil {
		t.Fatal(err)
	}
	if inserts != 120 || updates != 30 || rightInserts != 120 || rightUpdates != 30 {
		t.Errorf("audit: %d inserts (%d as the row was inserted), %d updates (%d with the right before and after); want 120 and 30",
			inserts, rightInserts, updates, rightUpdates)
	}
	// bulk and row-level rows carry the same keys
	if keysets != 1 {
		t.Errorf("audit rows carry %d different key sets, want 1", keysets)
	}
	if actors != "tester (admin)" {
		t.Errorf("imported rows audited as %q, want the importing user", actors)
	}
}

func TestTileClustersStayExactThroughAnImportAndAReimport(t *testing.T) {
	e := newEnv(t)
	var fs []map[string]any
	for i := 0; i < 400; i++ {
		fs = append(fs, pointFeature(fmt.Sprintf("C-%03d", i), 115.001+1.998*float64((i*37)%400)/400, 22.501+0.998*float64((i*11)%97)/97,
			map[string]any{"risk_level": 1 + i%4}))
	}
	rep := e.run(e.write("c.geojson", collection(fs...)), importers.Options{Layer: "risk_points", BatchSize: 150})
	if rep.Failed() || rep.Inserted != 400 {
		t.Fatalf("import: %+v", rep)
	}
	e.clustersMatchARebuild()
	// again: some points moved (some across grids), some of another level,
	// some retired, some new
	for i := 0; i < 400; i += 3 {
		p := fs[i]["properties"].(map[string]any)
		switch i % 4 {
		case 0:
			g := fs[i]["geometry"].(map[string]any)
			c := g["coordinates"].([]float64)
			g["coordinates"] = []float64{math.Min(c[0]+0.3, 116.99), c[1]}
		case 1:
			p["risk_level"] = 4
		case 2:
			p["status"] = "retired"
		}
	}
	for i := 400; i < 450; i++ {
		fs = append(fs, pointFeature(fmt.Sprintf("C-%03d", i), 116.2+float64(i-400)*0.01, 23.3, nil))
	}
	rep = e.run(e.write("c2.geojson", collection(fs...)), importers.Options{Layer: "risk_points", BatchSize: 150})
	if rep.Failed() || rep.Inserted != 50 || rep.Updated == 0 {
		t.Fatalf("re-import: %+v", rep)
	}
	e.clustersMatchARebuild()
}

// clustersMatchARebuild compares risk_points' tile_clusters with what a
// rebuild from scratch gives (counts exactly, coordinate sums to 1 mm).
func (e *env) clustersMatchARebuild() {
	e.t.Helper()
	ctx := context.Background()
	read := func(q interface {
		Query(context.Context, string, ...any) (pgx.Rows, error)
	}) map[string][2]float64 {
		rows, err := q.Query(ctx, `SELECT format('%s/%s/%s %s n=%s n1=%s n2=%s n3=%s n4=%s', z, cx, cy, grid_code, n, n1, n2, n3, n4), sx, sy
			FROM tile_clusters WHERE layer = 'risk_points'`)
		if err != nil {
			e.t.Fatal(err)
		}
		defer rows.Close()
		out := map[string][2]float64{}
		for rows.Next() {
			var k string
			var sx, sy float64
			if err := rows.Scan(&k, &sx, &sy); err != nil {
				e.t.Fatal(err)
			}
			out[k] = [2]float64{sx, sy}
		}
		return out
	}
	got := read(e.pool)
	var want map[string][2]float64
	err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT riskmap_tile_clusters_rebuild('risk_points', 'risk_level', 13)"); err != nil {
			return err
		}
		want = read(tx)
		return errors.New("roll back")
	})
	if want == nil {
		e.t.Fatalf("rebuild: %v", err)
	}
	if len(want) == 0 {
		e.t.Fatal("no clusters")
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			e.t.Errorf("cluster %s missing", k)
			continue
		}
		if math.Abs(g[0]-w[0]) > 1e-3 || math.Abs(g[1]-w[1]) > 1e-3 {
			e.t.Errorf("cluster %s: sums %v, a rebuild gives %v", k, g, w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			e.t.Errorf("cluster %s should not exist", k)
		}
	}
}
