package cases_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/cases"
	"riskmap/geo"
)

// countersMismatch lists the townships and days where case_day_counts
// differs from a recount of the cases (rows of zeros count as absent).
func countersMismatch(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		WITH r AS (
			SELECT township_code, county_code, (reported_at AT TIME ZONE INTERVAL '+08:00')::date AS day,
			       count(*)::int AS found, count(*) FILTER (WHERE closed_at IS NOT NULL)::int AS closed,
			       count(*) FILTER (WHERE closed_at IS NOT NULL OR deadline IS NOT NULL)::int AS to_rectify,
			       count(*) FILTER (WHERE closed_at <= deadline)::int AS on_time,
			       count(*) FILTER (WHERE grade = 'major')::int AS major_found,
			       count(*) FILTER (WHERE grade = 'major' AND closed_at IS NOT NULL)::int AS major_closed
			  FROM cases WHERE state NOT IN ('void', 'duplicate') GROUP BY 1, 2, 3),
		k AS (SELECT * FROM case_day_counts WHERE (found, closed, to_rectify, on_time, major_found, major_closed) <> (0, 0, 0, 0, 0, 0))
		SELECT format('%s %s %s: counters %s, recount %s', township_code, county_code, day,
		              (k.found, k.closed, k.to_rectify, k.on_time, k.major_found, k.major_closed),
		              (r.found, r.closed, r.to_rectify, r.on_time, r.major_found, r.major_closed))
		  FROM r FULL JOIN k USING (township_code, county_code, day)
		 WHERE (r.found, r.closed, r.to_rectify, r.on_time, r.major_found, r.major_closed)
		       IS DISTINCT FROM (k.found, k.closed, k.to_rectify, k.on_time, k.major_found, k.major_closed)
		 ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// bothWaysAgree checks that the counted statistics (township and county
// rows, from the counters and the pending cases) equal the scanned ones
// (grid rows, from every case of the period) summed up.
func bothWaysAgree(t *testing.T, s *cases.Store, u *riskmap.User, from, to time.Time, label string) {
	t.Helper()
	ctx := context.Background()
	byGrid, err := s.Rectification(ctx, u, cases.StatsQuery{From: from, To: to, GroupBy: "grid"})
	if err != nil {
		t.Fatal(err)
	}
	for _, level := range []struct {
		group string
		n     int
	}{{"township", 9}, {"county", 6}} {
		st, err := s.Rectification(ctx, u, cases.StatsQuery{From: from, To: to, GroupBy: level.group})
		if err != nil {
			t.Fatal(err)
		}
		sums := map[string]counts{}
		for _, r := range byGrid.Rows {
			c := sums[r.AreaCode[:level.n]]
			g := countsOf(r)
			sums[r.AreaCode[:level.n]] = counts{c.found + g.found, c.toRectify + g.toRectify, c.rectified + g.rectified,
				c.overdue + g.overdue, c.onTime + g.onTime, c.majorFound + g.majorFound, c.majorRectified + g.majorRectified}
		}
		for _, r := range st.Rows {
			if got, want := countsOf(r), sums[r.AreaCode[:level.n]]; got != want {
				t.Errorf("%s, %s..%s, %s %s: counted %+v, scanned %+v", label, from.Format("2006-01-02"), to.Format("2006-01-02"),
					level.group, r.AreaCode, got, want)
			}
		}
		if countsOf(st.Total) != countsOf(byGrid.Total) {
			t.Errorf("%s, %s..%s, %s total: counted %+v, scanned %+v", label, from.Format("2006-01-02"), to.Format("2006-01-02"),
				level.group, countsOf(st.Total), countsOf(byGrid.Total))
		}
	}
}

func TestCountersFollowEveryChangeToCases(t *testing.T) {
	pool := newPool(t)
	s := newStore(t, pool)
	ctx := context.Background()
	g1, g2, xz := "441502001001001", "441502001001002", "441502002001001"
	target := insert(t, pool, "", simple(g1, "general", "2020-06-01", "", ""))
	ids := map[string]string{}
	for name, h := range map[string]history{
		"open":     simple(g1, "general", "2021-12-20", "2021-12-31T23:59:59", ""),
		"closed":   simple(g2, "major", "2021-06-01", "2021-07-10", "2021-07-01T10:00"),
		"extended": simple(xz, "general", "2021-10-01", "2021-12-20", ""),
		"merged":   simple(g1, "general", "2021-04-02", "2021-04-30", ""),
		"voided":   {grid: g2, grade: "general", events: []event{{at("2021-04-01"), "report", "reported", nil}}},
		"moved":    simple(g1, "major", "2021-12-31T23:59:59", "2022-01-05", "2022-01-03T10:00"),
		"late":     simple(g2, "general", "2021-11-01", "2021-12-01", "2022-01-10T10:00"),
	} {
		ids[name] = insert(t, pool, target, h)
	}
	periods := [][2]string{{"2021-01-01", "2021-12-31"}, {"2021-06-01", "2021-06-30"}, {"2021-12-31", "2021-12-31"},
		{"2020-12-01", "2022-03-31"}, {"2022-01-01", "2022-01-31"}}
	check := func(step string) {
		t.Helper()
		for _, m := range countersMismatch(t, pool) {
			t.Errorf("after %s: %s", step, m)
		}
		for _, p := range periods {
			bothWaysAgree(t, s, cityUser, at(p[0]), at(p[1]), "after "+step)
		}
	}
	check("the inserts")
	for _, c := range []struct {
		step string
		sql  string
		args []any
	}{
		{"a close", `UPDATE cases SET state = 'closed', closed_at = '2022-01-02 09:00+08' WHERE id = $1`, []any{ids["open"]}},
		// as the workflow does: the row and its event in one transaction
		{"a reopening after the period", `WITH c AS (
				UPDATE cases SET state = 'rectifying', closed_at = NULL, reopened_at = '2022-01-05 10:00+08' WHERE id = $1 RETURNING id, version)
			INSERT INTO case_events (case_id, at, actor, role, action, from_state, to_state, version)
			SELECT id, '2022-01-05 10:00+08', 'test', 'county', 'reopen', 'closed', 'rectifying', version FROM c`, []any{ids["closed"]}},
		{"a deadline extended after the period", `WITH c AS (
				UPDATE cases SET deadline = '2022-02-01 00:00+08', deadline_changed_at = '2022-01-02 00:00+08' WHERE id = $1 RETURNING id, version)
			INSERT INTO case_events (case_id, at, actor, role, action, from_state, to_state, version, deadline)
			SELECT id, '2022-01-02 00:00+08', 'test', 'township', 'extend', 'rectifying', 'rectifying', version, '2022-02-01 00:00+08' FROM c`,
			[]any{ids["extended"]}},
		{"a merge", `UPDATE cases SET state = 'duplicate', duplicate_of = $2 WHERE id = $1`, []any{ids["merged"], target}},
		{"a dismissal", `UPDATE cases SET state = 'void' WHERE id = $1`, []any{ids["voided"]}},
		{"a new grade", `UPDATE cases SET grade = 'general' WHERE id = $1`, []any{ids["moved"]}},
		{"a move to another township", `UPDATE cases SET geom = ST_SetSRID(ST_MakePoint(116.25, 23.0), 4326) WHERE id = $1`, []any{ids["moved"]}},
		{"a report time moved a day", `UPDATE cases SET reported_at = reported_at - interval '1 day' WHERE id = $1`, []any{ids["late"]}},
		{"many rows in one statement", `UPDATE cases SET deadline = deadline + interval '1 day' WHERE deadline IS NOT NULL`, nil},
		{"an insert", `INSERT INTO cases (id, state, grade, category, description, reported_at, reporter_name, geom)
			VALUES (gen_random_uuid(), 'reported', 'major', 'fire', 'to delete', '2021-05-05 10:00+08', 'test', ST_SetSRID(ST_MakePoint(115.25, 23.0), 4326))`, nil},
		{"a delete", `DELETE FROM cases WHERE description = 'to delete'`, nil},
		{"a bulk load with the other triggers off", `SET session_replication_role = replica;
			INSERT INTO cases (id, state, grade, category, description, reported_at, reporter_name, deadline, closed_at,
				grid_code, township_code, county_code, geom)
			SELECT gen_random_uuid(), CASE WHEN i % 3 = 0 THEN 'closed' ELSE 'rectifying' END, CASE WHEN i % 5 = 0 THEN 'major' ELSE 'general' END,
			       'flood', 'x', r, 'test', r + interval '10 days', CASE WHEN i % 3 = 0 THEN r + (i % 17) * interval '1 day' END,
			       '441502002001001', '441502002000', '441502000000', ST_SetSRID(ST_MakePoint(116.25, 23.0), 4326)
			  FROM generate_series(1, 500) i, LATERAL (SELECT timestamptz '2021-11-20 10:00+08' + i * interval '2 hours' AS r) x;
			SET session_replication_role = origin;`, nil},
	} {
		if _, err := pool.Exec(ctx, c.sql, c.args...); err != nil {
			t.Fatalf("%s: %v", c.step, err)
		}
		check(c.step)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT sum(found) FROM case_day_counts").Scan(&n); err != nil || n != 506 {
		t.Errorf("found in the counters: %d, want 506 (%v)", n, err)
	}
}

// The workflow's own statements keep the counters: report, register,
// assign, start, submit with a photo, approve, reopen, extend, merge, void.
func TestCountersFollowTheWorkflow(t *testing.T) {
	pool := newPool(t)
	s := newStore(t, pool)
	ctx := context.Background()
	var worker, township, county int64
	err := pool.QueryRow(ctx, `
		WITH u AS (INSERT INTO users (username, role, password_hash) VALUES ('w1', 'worker', 'x'), ('t1', 'township', 'x'), ('c1', 'county', 'x')
		           RETURNING id, username),
		     g AS (INSERT INTO user_grids (user_id, grid_code) SELECT id, '441502001001001' FROM u WHERE username = 'w1'),
		     a AS (INSERT INTO user_areas (user_id, area_code) SELECT id, CASE username WHEN 't1' THEN '441502001000' ELSE '441502000000' END
		           FROM u WHERE username IN ('t1', 'c1'))
		SELECT (SELECT id FROM u WHERE username = 'w1'), (SELECT id FROM u WHERE username = 't1'), (SELECT id FROM u WHERE username = 'c1')`).
		Scan(&worker, &township, &county)
	if err != nil {
		t.Fatal(err)
	}
	w := &riskmap.User{ID: worker, Role: riskmap.RoleWorker, Grids: []string{"441502001001001"}}
	tw := &riskmap.User{ID: township, Role: riskmap.RoleTownship, Areas: []string{"441502001000"}}
	co := &riskmap.User{ID: county, Role: riskmap.RoleCounty, Areas: []string{"441502000000"}}
	version := func(id string) int {
		var v int
		if err := pool.QueryRow(ctx, "SELECT version FROM cases WHERE id = $1", id).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	act := func(u *riskmap.User, id string, fields map[string]any) {
		t.Helper()
		fields["version"] = version(id)
		body, _ := json.Marshal(fields)
		a, err := cases.ParseAction(body, geo.CRSWGS84, nil)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if _, err := s.Act(ctx, u, id, a); err != nil {
			t.Fatalf("%s on %s: %v", fields["action"], id, err)
		}
		for _, m := range countersMismatch(t, pool) {
			t.Errorf("after %s: %s", fields["action"], m)
		}
	}
	// the day the cases are reported on, read before them: the counts of
	// that day and the next hold them even when the test runs across
	// midnight in Shanghai
	today := time.Now().In(cases.Shanghai())
	report := func(grade string, lon float64) string {
		t.Helper()
		r, err := s.Report(ctx, w, &cases.ReportInput{Lon: lon, Lat: 23.0, HasLocation: true, Grade: grade, Category: "flood", Description: "积水"})
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	a, b, c, d := report("general", 115.25), report("major", 115.26), report("general", 115.27), report("general", 115.28)
	for _, m := range countersMismatch(t, pool) {
		t.Errorf("after the reports: %s", m)
	}
	deadline := time.Now().In(cases.Shanghai()).AddDate(0, 0, 10).Format("2006-01-02")
	later := time.Now().In(cases.Shanghai()).AddDate(0, 0, 20).Format("2006-01-02")
	for _, id := range []string{a, b, c} {
		act(tw, id, map[string]any{"action": "register"})
	}
	act(tw, a, map[string]any{"action": "assign", "assignee": worker, "deadline": deadline})
	act(tw, b, map[string]any{"action": "assign", "assignee": worker, "deadline": deadline, "responsibility": "镇应急办",
		"measures": "围蔽", "funds": "5万元", "plan": "预案"})
	act(w, a, map[string]any{"action": "start"})
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...)
	att, err := s.Attach(ctx, w, a, "photo.png", bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	act(w, a, map[string]any{"action": "submit", "attachments": []string{att.ID}})
	act(tw, a, map[string]any{"action": "approve", "note": "已整改"})
	act(co, a, map[string]any{"action": "reopen", "reason": "复查发现仍有积水"})
	act(tw, a, map[string]any{"action": "extend", "deadline": later, "reason": "雨季"})
	act(tw, c, map[string]any{"action": "merge", "duplicate_of": b})
	act(tw, d, map[string]any{"action": "void", "reason": "不属实"})

	bothWaysAgree(t, s, cityUser, today.AddDate(0, 0, -1), today.AddDate(0, 0, 2), "the workflow")
	st, err := s.Rectification(ctx, cityUser, cases.StatsQuery{From: today, To: today.AddDate(0, 0, 1), GroupBy: "township"})
	if err != nil {
		t.Fatal(err)
	}
	if got := countsOf(st.Total); got != (counts{found: 2, majorFound: 1}) {
		t.Errorf("today and tomorrow: %+v, want a and b found, nothing rectified", got)
	}
}

func TestCountersStatisticsForScopesAndAreas(t *testing.T) {
	pool := newPool(t)
	s := newStore(t, pool)
	ctx := context.Background()
	for i, g := range []string{"441502001001001", "441502001001002", "441502002001001", "441521101001001"} {
		for j := range 3 {
			day := fmt.Sprintf("2021-%02d-%02d", 3+j, 10+i)
			insert(t, pool, "", simple(g, []string{"general", "major"}[(i+j)%2], day, day+"T23:00", day+"T12:00"))
		}
	}
	// a township user sees its own township; a county user asking for a
	// township of another county is refused; a planner of a village goes
	// the scanned way and sees the same
	xingang := &riskmap.User{ID: 2, Role: riskmap.RoleTownship, Areas: []string{"441502001000"}}
	village := &riskmap.User{ID: 3, Role: riskmap.RolePlanner, Areas: []string{"441502001001"}}
	for _, u := range []*riskmap.User{xingang, village} {
		st, err := s.Rectification(ctx, u, cases.StatsQuery{From: at("2021-01-01"), To: at("2021-12-31"), GroupBy: "county"})
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Rows) != 1 || countsOf(st.Total) != (counts{6, 6, 6, 0, 6, 3, 3}) {
			t.Errorf("%s: %+v", u.Role, st)
		}
		bothWaysAgree(t, s, u, at("2021-01-01"), at("2021-12-31"), u.Role)
	}
	st, err := s.Rectification(ctx, cityUser, cases.StatsQuery{Area: "441521000000", From: at("2021-03-01"), To: at("2021-03-31"), GroupBy: "township"})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Rows) != 1 || countsOf(st.Total) != (counts{1, 1, 1, 0, 1, 1, 1}) {
		t.Errorf("海丰县 in March: %+v", st)
	}
}
