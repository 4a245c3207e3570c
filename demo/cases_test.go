package demo_test

import (
	"context"
	"testing"
	"time"

	"riskmap"
	"riskmap/blobs"
	"riskmap/cases"
	"riskmap/demo"
	"riskmap/internal/dbtest"
)

func TestDemoCasesReadLikeTheAnnualReportAndLoadOnce(t *testing.T) {
	pool := dbtest.New(t, dbtest.Demo)
	ctx := context.Background()
	loaded, err := demo.LoadCases(ctx, pool)
	if err != nil || !loaded {
		t.Fatalf("load: %v %v", loaded, err)
	}
	count := func(sql string) int64 { return queryInt(t, pool, sql) }
	n, events := count("SELECT count(*) FROM cases"), count("SELECT count(*) FROM case_events")
	if loaded, err := demo.LoadCases(ctx, pool); err != nil || loaded {
		t.Errorf("second load: %v %v", loaded, err)
	}
	if n2 := count("SELECT count(*) FROM cases"); n2 != n || n < 2600 {
		t.Errorf("cases: %d after the first load, %d after the second", n, n2)
	}
	d, err := blobs.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := cases.NewStore(pool, d, cases.Config{})
	st, err := s.Rectification(ctx, &riskmap.User{Role: riskmap.RoleAdmin}, cases.StatsQuery{Area: "441500000000",
		From: time.Date(2021, 1, 1, 0, 0, 0, 0, cases.Shanghai()), To: time.Date(2021, 12, 31, 0, 0, 0, 0, cases.Shanghai()), GroupBy: "county"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Sentence != demo.Year2021 || len(st.Rows) != 4 {
		t.Errorf("2021: %q, %d counties", st.Sentence, len(st.Rows))
	}
	// every state, and histories that agree with the rows
	states := queryStrings(t, pool, "SELECT DISTINCT state FROM cases ORDER BY 1")
	if len(states) != 9 {
		t.Errorf("states present: %v", states)
	}
	if bad := count(`SELECT count(*) FROM cases c WHERE c.version <> (SELECT count(*) FROM case_events e WHERE e.case_id = c.id)
		OR c.state <> (SELECT e.to_state FROM case_events e WHERE e.case_id = c.id ORDER BY e.at DESC, e.id DESC LIMIT 1)
		OR c.reported_at <> (SELECT min(e.at) FROM case_events e WHERE e.case_id = c.id)
		OR EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.at > now())`); bad != 0 {
		t.Errorf("%d cases whose row disagrees with their history", bad)
	}
	// the demo users have work: open cases in 新港, overdue and escalated ones
	xingangOpen := count(`SELECT count(*) FROM cases WHERE township_code = '441502001000' AND riskmap_case_open(state)`)
	overdue := count(`SELECT count(*) FROM cases WHERE riskmap_case_open(state) AND deadline < now()`)
	escalated := count(`SELECT count(*) FROM cases WHERE riskmap_case_open(state) AND deadline < now() - interval '3 days'`)
	if xingangOpen < 5 || overdue < 10 || escalated < 5 {
		t.Errorf("open in 新港 %d, overdue %d, escalated %d", xingangOpen, overdue, escalated)
	}
	t.Logf("%d cases, %d events; open in 新港 %d, overdue %d, escalated %d", n, events, xingangOpen, overdue, escalated)
}
