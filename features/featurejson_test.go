package features_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"riskmap/features"
	"riskmap/internal/dbtest"
)

// TestPropertiesAreWhatJSONBuildObjectWrote builds every layer's features
// in Go (scanFeatures) and compares their properties, byte for byte, with
// what PostgreSQL's json_build_object writes for the same columns: the
// projection the API answered with before, kept here as the reference.
// The values are the awkward ones: quotes, backslashes, control
// characters, Chinese, U+2028, NULLs, decimals, booleans, dates, times in
// a zone that is not UTC, a depot's inventory.
func TestPropertiesAreWhatJSONBuildObjectWrote(t *testing.T) {
	pool := dbtest.TinyCity(t)
	ctx := context.Background()
	odd := "引号\"反斜杠\\换行\n制表\t回车\r\x01\x1f\u2028 😀 end"
	conn, err := pool.Acquire(ctx) // one session: its time zone
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, q := range []string{
		`SET TimeZone = 'Asia/Shanghai'`,
		`INSERT INTO risk_points (external_id, name, category, risk_level, address, population_exposed, last_inspection, geom)
		 SELECT 'R1', $1, 'flood', 2, NULL, 120, DATE '2026-03-01', ST_PointOnSurface(g.geom) FROM grids g ORDER BY g.code LIMIT 1`,
		`INSERT INTO risk_points (name, category, risk_level, geom)
		 SELECT 'plain', 'fire', 4, ST_PointOnSurface(g.geom) FROM grids g ORDER BY g.code LIMIT 1`,
		`INSERT INTO hazard_sources (name, category, major_hazard_level, licence_expiry, main_substances, geom)
		 SELECT $1, 'gas', 1, DATE '2027-12-31', 'C₂H₂ "乙炔"', ST_PointOnSurface(g.geom) FROM grids g ORDER BY g.code LIMIT 1`,
		`INSERT INTO stations (name, kind, staff, vehicles, on_duty_24h, geom)
		 SELECT $1, 'rescue_team', 12, 3, true, ST_PointOnSurface(g.geom) FROM grids g ORDER BY g.code LIMIT 1`,
		`INSERT INTO stations (name, kind, on_duty_24h, geom)
		 SELECT 'off', 'office', false, ST_PointOnSurface(g.geom) FROM grids g ORDER BY g.code LIMIT 1`,
		`INSERT INTO depots (name, capacity_m2, keeper, geom)
		 SELECT $1, 1250.50, NULL, ST_PointOnSurface(g.geom) FROM grids g ORDER BY g.code LIMIT 1`,
		`INSERT INTO depot_items (depot_id, item, unit, quantity) SELECT id, 'tent', '顶', 40 FROM depots`,
		`UPDATE grids SET worker = $1 WHERE code = (SELECT min(code) FROM grids)`,
	} {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, odd)
		}
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, l := range features.NewRegistry() {
		cols, names := features.PropertyColumns(l)
		var ref strings.Builder
		ref.WriteString("json_build_object(")
		for i, n := range names {
			if i > 0 {
				ref.WriteString(", ")
			}
			c := cols[i]
			if strings.HasPrefix(c, "to_json(") {
				c = strings.TrimSuffix(strings.TrimPrefix(c, "to_json("), ")")
			}
			ref.WriteString("'" + n + "', " + c)
		}
		ref.WriteString(")::text")
		want := map[int64]string{}
		rows, err := conn.Query(ctx, "SELECT t.id, "+ref.String()+" FROM "+l.Name+" t")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var s string
			if err := rows.Scan(&id, &s); err != nil {
				t.Fatal(err)
			}
			want[id] = s
		}
		if rows.Err() != nil || len(want) == 0 {
			t.Fatalf("%s: %v, %d rows", l.Name, rows.Err(), len(want))
		}
		head, _ := features.SelectFeature(l, false)
		rows, err = conn.Query(ctx, head, features.TextResults)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		err = features.ScanFeatures(rows, names, func(f features.Feature) error {
			n++
			i := bytes.Index(f.JSON, []byte(`,"properties":`))
			got := string(f.JSON[i+len(`,"properties":`) : len(f.JSON)-1])
			if got != want[f.ID] {
				t.Errorf("%s %d:\n got %s\nwant %s", l.Name, f.ID, got, want[f.ID])
			}
			return nil
		})
		if err != nil || n != len(want) {
			t.Fatalf("%s: %v, %d of %d", l.Name, err, n, len(want))
		}
	}
}

// TestListReadsRunReadOnlyWithoutParallelWorkers checks what the one
// statement that begins a list's transaction sets.
func TestListReadsRunReadOnlyWithoutParallelWorkers(t *testing.T) {
	pool := dbtest.TinyCity(t)
	s := features.NewStore(pool)
	for _, iso := range []pgx.TxIsoLevel{pgx.ReadCommitted, pgx.RepeatableRead} {
		err := s.ReadOnly(context.Background(), iso, func(tx pgx.Tx) error {
			var workers, readOnly, level string
			if err := tx.QueryRow(context.Background(), `SELECT current_setting('max_parallel_workers_per_gather'),
				current_setting('transaction_read_only'), current_setting('transaction_isolation')`).Scan(&workers, &readOnly, &level); err != nil {
				return err
			}
			if workers != "0" || readOnly != "on" || level != strings.ToLower(string(iso)) {
				t.Errorf("%s: workers %s, read only %s, isolation %s", iso, workers, readOnly, level)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var workers string
	if err := pool.QueryRow(context.Background(), "SHOW max_parallel_workers_per_gather").Scan(&workers); err != nil || workers == "0" {
		t.Errorf("the setting outlived the transaction: %q %v", workers, err)
	}
}
