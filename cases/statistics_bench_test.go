package cases_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/cases"
	"riskmap/internal/dbtest"
	"riskmap/postgres"
)

// BenchmarkRectification1M: the city's statistics for a year grouped by
// township over 1,000,000 cases reported in that year in the demo city
// (51 townships, ~1,500 grids), 1 % of them reopened after the year's end
// and 0.5 % given a new deadline after it, so the event history is read for
// those. Before timing, the township rows are checked against the grid
// rows, which take the other way (a scan of every case). Generating the
// cases takes a minute or two; run with
//
//	go test ./cases -run '^$' -bench Rectification1M -benchtime 10x
//
// RISKMAP_BENCH_CASES_URL names a database already holding these cases
// (the generating SQL below run into a copy of the demo city), to time the
// query again without generating.
func BenchmarkRectification1M(b *testing.B) {
	ctx := context.Background()
	var pool *pgxpool.Pool
	if url := os.Getenv("RISKMAP_BENCH_CASES_URL"); url != "" {
		var err error
		if pool, err = postgres.Open(ctx, url, 8); err != nil {
			b.Fatal(err)
		}
		defer pool.Close()
	} else {
		pool = dbtest.New(b, dbtest.Demo)
		generateBenchCases(b, pool)
	}
	s := newStore(b, pool)
	u := &riskmap.User{Role: riskmap.RoleCity, Areas: []string{"441500000000"}}
	q := cases.StatsQuery{Area: "441500000000", From: at("2021-01-01"), To: at("2021-12-31"), GroupBy: "township"}
	st, err := s.Rectification(ctx, u, q)
	if err != nil {
		b.Fatal(err)
	}
	if st.Total.Found != 980000 || len(st.Rows) < 50 {
		b.Fatalf("found %d in %d townships", st.Total.Found, len(st.Rows))
	}
	b.Logf("%s", st.Sentence)
	// the township rows (counters and pending cases) equal the grid rows
	// (a scan of every case) summed up
	byGrid, err := s.Rectification(ctx, u, cases.StatsQuery{Area: q.Area, From: q.From, To: q.To, GroupBy: "grid"})
	if err != nil {
		b.Fatal(err)
	}
	sums := map[string]counts{}
	for _, r := range byGrid.Rows {
		c, g := sums[r.AreaCode[:9]], countsOf(r)
		sums[r.AreaCode[:9]] = counts{c.found + g.found, c.toRectify + g.toRectify, c.rectified + g.rectified,
			c.overdue + g.overdue, c.onTime + g.onTime, c.majorFound + g.majorFound, c.majorRectified + g.majorRectified}
	}
	for _, r := range st.Rows {
		if got, want := countsOf(r), sums[r.AreaCode[:9]]; got != want {
			b.Errorf("township %s: counted %+v, scanned %+v", r.AreaCode, got, want)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Rectification(ctx, u, q); err != nil {
			b.Fatal(err)
		}
	}
}

func generateBenchCases(b *testing.B, pool *pgxpool.Pool) {
	ctx := context.Background()
	start := time.Now()
	_, err := pool.Exec(ctx, `
		SET session_replication_role = replica; -- bulk load: no placement, audit or notify triggers
		CREATE TEMP TABLE g AS SELECT (row_number() OVER (ORDER BY code) - 1)::int AS i, code, township_code, county_code,
			ST_PointOnSurface(geom) AS p FROM grids;
		INSERT INTO cases (id, state, grade, category, description, reported_at, reporter_name, deadline, deadline_changed_at,
			closed_at, reopened_at, duplicate_of, grid_code, township_code, county_code, geom)
		SELECT md5('bench' || n)::uuid,
			CASE WHEN n % 100 < 93 THEN 'closed' WHEN n % 100 < 97 THEN 'rectifying' WHEN n % 100 = 97 THEN 'void'
			     WHEN n % 100 = 98 THEN 'duplicate' ELSE 'rectifying' END,
			CASE WHEN n % 33 = 0 THEN 'major' ELSE 'general' END, 'flood', 'bench', r, 'bench',
			r + interval '15 days', CASE WHEN n % 200 = 7 THEN timestamptz '2022-01-05 10:00+08' END,
			CASE WHEN n % 100 < 93 THEN r + (n % 20) * interval '1 day' END,
			CASE WHEN n % 100 = 99 THEN timestamptz '2022-01-10 10:00+08' END,
			CASE WHEN n % 100 = 98 THEN md5('bench1')::uuid END,
			g.code, g.township_code, g.county_code, g.p
		  FROM generate_series(1, 1000000) n
		  CROSS JOIN LATERAL (SELECT timestamptz '2021-01-01 00:00+08' + (n % 364) * interval '1 day' + (n % 1440) * interval '1 minute' AS r) x
		  JOIN g ON g.i = n % (SELECT count(*) FROM g);
		INSERT INTO case_events (case_id, at, actor, role, action, from_state, to_state, version, deadline)
		SELECT c.id, e.at, 'bench', 'township', e.action, e.f, e.t, e.v, e.d
		  FROM cases c, LATERAL (VALUES
			(c.reported_at + interval '1 hour', 'assign', 'registered', 'assigned', 2, c.reported_at + interval '15 days'),
			(c.reported_at + interval '3 days', 'approve', 'submitted', 'closed', 3, NULL),
			(c.reopened_at, 'reopen', 'closed', 'rectifying', 4, NULL)) e(at, action, f, t, v, d)
		 WHERE c.reopened_at IS NOT NULL;
		INSERT INTO case_events (case_id, at, actor, role, action, from_state, to_state, version, deadline)
		SELECT c.id, e.at, 'bench', 'township', e.action, e.f, e.t, e.v, e.d
		  FROM cases c, LATERAL (VALUES
			(c.reported_at + interval '1 hour', 'assign', 'registered', 'assigned', 2, c.reported_at + interval '15 days'),
			(timestamptz '2022-01-05 10:00+08', 'extend', 'rectifying', 'rectifying', 3, timestamptz '2022-03-01 00:00+08')) e(at, action, f, t, v, d)
		 WHERE c.deadline_changed_at IS NOT NULL;
		SET session_replication_role = origin;`)
	if err != nil {
		b.Fatal(err)
	}
	for _, t := range []string{"cases", "case_events"} {
		if _, err := pool.Exec(ctx, "VACUUM ANALYZE "+t); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("generated 1,000,000 cases in %s", time.Since(start).Round(time.Second))
}
