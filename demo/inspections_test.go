package demo_test

import (
	"context"
	"testing"
	"time"

	"riskmap"
	"riskmap/blobs"
	"riskmap/cases"
	"riskmap/demo"
	"riskmap/inspections"
	"riskmap/internal/dbtest"
	"riskmap/patrols"
)

// The demo city's 2021 reads the bureau's whole paragraph, counted from the
// inspection and case rows, and the rectification statistics of the same
// cases stay what they were; the patrols leave points due and overdue.
func TestDemo2021ReadsTheBureausParagraphFromItsInspections(t *testing.T) {
	pool := dbtest.New(t, dbtest.Demo)
	ctx := context.Background()
	if loaded, err := demo.LoadCases(ctx, pool); err != nil || !loaded {
		t.Fatalf("cases: %v %v", loaded, err)
	}
	if loaded, err := demo.LoadPatrols(ctx, pool); err != nil || !loaded {
		t.Fatalf("patrols: %v %v", loaded, err)
	}
	if loaded, err := demo.LoadPatrols(ctx, pool); err != nil || loaded {
		t.Fatalf("patrols again: %v %v", loaded, err)
	}
	d, err := blobs.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cs := cases.NewStore(pool, d, cases.Config{})
	ps := patrols.NewStore(pool, d, cs, patrols.Config{})
	is := inspections.NewStore(pool, cs, ps, inspections.Config{})
	day := func(y int, m time.Month, dd int) time.Time { return time.Date(y, m, dd, 0, 0, 0, 0, cases.Shanghai()) }
	city := &riskmap.User{Role: riskmap.RoleCity, Areas: []string{"441500000000"}}
	st, err := is.Statistics(ctx, city, inspections.StatsQuery{Area: "441500000000", From: day(2021, 1, 1), To: day(2021, 12, 31), GroupBy: "county"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Sentence != demo.Year2021Paragraph {
		t.Fatalf("2021:\n got %s\nwant %s", st.Sentence, demo.Year2021Paragraph)
	}
	rect, err := cs.Rectification(ctx, city, cases.StatsQuery{Area: "441500000000", From: day(2021, 1, 1), To: day(2021, 12, 31), GroupBy: "township"})
	if err != nil {
		t.Fatal(err)
	}
	if rect.Sentence != demo.Year2021 {
		t.Fatalf("the rectification statistics moved: %s", rect.Sentence)
	}
	// every inspection case lies at its enterprise, reported by the office
	if n := queryInt(t, pool, `SELECT count(*) FROM cases c JOIN inspections i ON i.id = c.inspection_id
		WHERE c.hazard_source_id IS DISTINCT FROM i.hazard_source_id OR NOT ST_Equals(c.geom, i.geom)
		   OR riskmap_cst_day(c.reported_at) <> i.inspected_on`); n != 0 {
		t.Fatalf("%d inspection cases not at their enterprise on the inspection's day", n)
	}
	// the patrols: most points in order, some due, some overdue, on the day of the load
	worker := &riskmap.User{ID: -1, Role: riskmap.RoleAdmin}
	all, err := ps.Due(ctx, worker, patrols.DueQuery{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	over, err := ps.Due(ctx, worker, patrols.DueQuery{OverdueOnly: true, Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	active := queryInt(t, pool, "SELECT count(*) FROM risk_points WHERE status = 'active'")
	if o := int64(len(over.Features)); o < active/20 || o > active/5 || int64(len(all.Features)) <= o {
		t.Fatalf("%d active points: %d overdue, %d due or overdue", active, o, len(all.Features))
	}
	t.Logf("%d active points: %d overdue, %d due within %d days or overdue", active, len(over.Features), len(all.Features), patrols.DueSoonDays)
}
