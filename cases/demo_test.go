package cases_test

import (
	"context"
	"testing"

	"riskmap"
	"riskmap/cases"
	"riskmap/internal/dbtest"
)

func TestDemoCasesReadLikeTheAnnualReportAndLoadOnce(t *testing.T) {
	pool := dbtest.New(t, dbtest.Demo)
	ctx := context.Background()
	loaded, err := cases.LoadDemo(ctx, pool)
	if err != nil || !loaded {
		t.Fatalf("load: %v %v", loaded, err)
	}
	var n, events int
	pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_events)").Scan(&n, &events)
	if loaded, err := cases.LoadDemo(ctx, pool); err != nil || loaded {
		t.Errorf("second load: %v %v", loaded, err)
	}
	var n2 int
	pool.QueryRow(ctx, "SELECT count(*) FROM cases").Scan(&n2)
	if n2 != n || n < 2600 {
		t.Errorf("cases: %d after the first load, %d after the second", n, n2)
	}
	s := newStore(t, pool)
	st, err := s.Rectification(ctx, &riskmap.User{Role: riskmap.RoleAdmin}, cases.StatsQuery{Area: "441500000000",
		From: at("2021-01-01"), To: at("2021-12-31"), GroupBy: "county"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Sentence != cases.DemoYear2021 || len(st.Rows) != 4 {
		t.Errorf("2021: %q, %d counties", st.Sentence, len(st.Rows))
	}
	// every state, and histories that agree with the rows
	var states []string
	rows, _ := pool.Query(ctx, "SELECT DISTINCT state FROM cases ORDER BY 1")
	for rows.Next() {
		var s string
		rows.Scan(&s)
		states = append(states, s)
	}
	rows.Close()
	if len(states) != 9 {
		t.Errorf("states present: %v", states)
	}
	var bad int
	pool.QueryRow(ctx, `SELECT count(*) FROM cases c WHERE c.version <> (SELECT count(*) FROM case_events e WHERE e.case_id = c.id)
		OR c.state <> (SELECT e.to_state FROM case_events e WHERE e.case_id = c.id ORDER BY e.at DESC, e.id DESC LIMIT 1)
		OR c.reported_at <> (SELECT min(e.at) FROM case_events e WHERE e.case_id = c.id)
		OR EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.at > now())`).Scan(&bad)
	if bad != 0 {
		t.Errorf("%d cases whose row disagrees with their history", bad)
	}
	// the demo users have work: open cases in 新港, overdue and escalated ones
	var xingangOpen, overdue, escalated int
	pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE township_code = '441502001000' AND riskmap_case_open(state)),
		count(*) FILTER (WHERE riskmap_case_open(state) AND deadline < now()),
		count(*) FILTER (WHERE riskmap_case_open(state) AND deadline < now() - interval '3 days') FROM cases`).Scan(&xingangOpen, &overdue, &escalated)
	if xingangOpen < 5 || overdue < 10 || escalated < 5 {
		t.Errorf("open in 新港 %d, overdue %d, escalated %d", xingangOpen, overdue, escalated)
	}
	t.Logf("%d cases, %d events; open in 新港 %d, overdue %d, escalated %d", n, events, xingangOpen, overdue, escalated)
}
