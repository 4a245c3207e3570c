package notify_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"riskmap/cases"
	"riskmap/notify"
)

// A 双随机 plan whose period ends within three days with enterprises not
// yet inspected reminds the officers drawn and the office that drew it —
// from the morning's reminder hour, once per plan however often the job
// runs; a plan carried out in full, or ending later, tells no one yet.
func TestAPlanEndingSoonRemindsItsInspectorsOnce(t *testing.T) {
	f := newFixture(t, notify.Config{})
	sh := cases.Shanghai()
	id := func(name string) int64 { return f.users[name].ID }
	var sources []int64
	for i, grid := range []string{"441502001001001", "441502002001001", "441521101001001"} {
		var hs int64
		p := [][2]float64{g001, xiangzhou, meilong}[i]
		if err := f.pool.QueryRow(f.ctx, `INSERT INTO hazard_sources (name, category, grid_code, township_code, county_code, geom)
			VALUES ($1, 'other', $2, left($2, 9) || '000', left($2, 6) || '000000', ST_SetSRID(ST_MakePoint($3, $4), 4326)) RETURNING id`,
			"企业"+grid, grid, p[0], p[1]).Scan(&hs); err != nil {
			t.Fatal(err)
		}
		sources = append(sources, hs)
	}
	plan := func(area, level, drawnBy, to string, units []int64, inspectors ...string) int64 {
		t.Helper()
		var pid int64
		if err := f.pool.QueryRow(f.ctx, `INSERT INTO inspection_plans (area_code, period_from, period_to, units, inspectors, seed, level,
				drawn_by, drawn_by_name, unit_candidates, officer_candidates)
			VALUES ($1, '2026-02-01', $2, $3, $4, 7, $5, $6, $7, $8, '{}') RETURNING id`,
			area, to, len(units), len(inspectors), level, id(drawnBy), drawnBy, units).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		for i, u := range units {
			f.pool.Exec(f.ctx, `INSERT INTO inspection_plan_units (plan_id, position, hazard_source_id) VALUES ($1, $2, $3)`, pid, i, u)
		}
		for i, name := range inspectors {
			if _, err := f.pool.Exec(f.ctx, `INSERT INTO inspection_plan_inspectors (plan_id, position, user_id, name) VALUES ($1, $2, $3, $4)`,
				pid, i, id(name), name); err != nil {
				t.Fatal(err)
			}
		}
		return pid
	}
	// 城区's county draws two enterprises, ending tomorrow, one inspected
	a := plan("441502000000", "county", "chengqu", "2026-03-03", sources[:2], "xingang", "xiangzhou")
	// a plan carried out in full, ending today
	done := plan("441502001000", "township", "xingang2", "2026-03-02", sources[:1], "xingang", "xingang2")
	// 海丰's, ending in a week
	later := plan("441521000000", "county", "haifeng", "2026-03-09", sources[2:], "meilong", "haifeng")
	inspect := func(plan, source int64, inspectors ...string) {
		t.Helper()
		tx, err := f.pool.Begin(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(f.ctx)
		var iid string
		if err := tx.QueryRow(f.ctx, `INSERT INTO inspections (id, hazard_source_id, inspected_on, kind, level, office_code, plan_id, recorded_by_name)
			VALUES (gen_random_uuid(), $1, '2026-02-20', 'random', 'county', '441502000000', $2, '检查员') RETURNING id::text`, source, plan).Scan(&iid); err != nil {
			t.Fatal(err)
		}
		for i, name := range inspectors {
			if _, err := tx.Exec(f.ctx, `INSERT INTO inspection_inspectors (inspection_id, position, user_id, name) VALUES ($1, $2, $3, $4)`,
				iid, i, id(name), name); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(f.ctx); err != nil {
			t.Fatal(err)
		}
	}
	inspect(a, sources[0], "xingang", "xiangzhou")
	inspect(done, sources[0], "xingang", "xingang2")

	day := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, sh) }
	told := func(plan int64) []string { return f.toldRef("inspection_due", fmt.Sprint(plan)) }
	if rep := f.run(day(2, 7)); rep.PlansDue != 0 || len(told(a)) != 0 {
		t.Errorf("before the reminder hour: %d plans, %v told", rep.PlansDue, told(a))
	}
	for range 2 {
		f.run(day(2, 9))
	}
	f.run(day(3, 9)) // the last day: no second word of the same plan
	if got := told(a); !slices.Equal(got, names("chengqu", "xingang", "xiangzhou")) {
		t.Errorf("the plan ending tomorrow told %v, want the county that drew it and its two inspectors", got)
	}
	var title string
	f.pool.QueryRow(f.ctx, `SELECT title FROM notifications WHERE kind = 'inspection_due' AND ref_id = $1 LIMIT 1`, fmt.Sprint(a)).Scan(&title)
	if title != "双随机检查明日截止：城区，尚有1家未检查" {
		t.Errorf("title %q", title)
	}
	if got := told(done); len(got) != 0 {
		t.Errorf("a plan carried out in full told %v", got)
	}
	if got := told(later); len(got) != 0 {
		t.Errorf("a plan ending in a week told %v already", got)
	}
	f.run(day(7, 9))
	if got := told(later); !slices.Equal(got, names("haifeng", "meilong")) {
		t.Errorf("海丰's plan, three days before its end, told %v", got)
	}
}
