package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"
)

// featureEvent is the data of a "feature" event of the live feed.
type featureEvent struct {
	Layer string  `json:"layer"`
	IDs   []int64 `json:"ids"`
	Count int     `json:"count"`
}

// A change to a feature layer reaches, on the live feed, the users whose
// scope it touches — once per statement, whatever wrote it — and a
// proposal's decision reaches its proposer: the app redraws the map when
// told, never by asking again and again (migration 574).
func TestFeatureChangesReachTheMapsOfTheirScopeOnTheLiveFeed(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	listen := func(user string) <-chan sseEvent {
		t.Helper()
		ch := openEvents(t, ctx, e.srv.URL, e.token[user])
		if ev := <-ch; ev.data != "connected" {
			t.Fatalf("%s: first %+v", user, ev)
		}
		return ch
	}
	// next: the next event of one of kinds within wait (ok false: none)
	next := func(ch <-chan sseEvent, wait time.Duration, kinds ...string) (sseEvent, bool) {
		deadline := time.After(wait)
		for {
			select {
			case ev, ok := <-ch:
				if !ok {
					t.Fatal("stream ended")
				}
				if slices.Contains(kinds, ev.typ) {
					return ev, true
				}
			case <-deadline:
				return sseEvent{}, false
			}
		}
	}
	feature := func(who string, ch <-chan sseEvent) featureEvent {
		t.Helper()
		ev, ok := next(ch, 10*time.Second, "feature")
		if !ok {
			t.Fatalf("%s: no feature event within 10 s", who)
		}
		var f featureEvent
		if err := json.Unmarshal([]byte(ev.data), &f); err != nil {
			t.Fatalf("%s: %q: %v", who, ev.data, err)
		}
		return f
	}
	worker, office := listen("worker1"), listen("xingang")

	// the township adds a point in grid 002: its office hears, grid 001's worker not
	point := func(lon float64, name string) int64 {
		var out struct{ ID int64 }
		body := fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[%v,23.0]},"properties":{"name":%q,"category":"fire","risk_level":3}}`, lon, name)
		if res := e.do("POST", "/api/v1/risk_points", "xingang", body, &out); res.StatusCode != 201 {
			t.Fatalf("create: %d %s", res.StatusCode, res.Body)
		}
		return out.ID
	}
	east := point(115.7, "东侧仓库")
	if f := feature("xingang", office); f.Layer != "risk_points" || !slices.Equal(f.IDs, []int64{east}) || f.Count != 1 {
		t.Errorf("office: %+v, want risk_points [%d]", f, east)
	}
	if ev, ok := next(worker, time.Second, "feature"); ok {
		t.Errorf("worker1 heard a change outside their grid: %+v", ev)
	}
	// one in grid 001: both hear it
	west := point(115.2, "西侧仓库")
	for who, ch := range map[string]<-chan sseEvent{"worker1": worker, "xingang": office} {
		if f := feature(who, ch); !slices.Equal(f.IDs, []int64{west}) {
			t.Errorf("%s: %+v, want [%d]", who, f, west)
		}
	}
	// QGIS (direct SQL) rewriting every point in one statement: one event
	if _, err := e.pool.Exec(ctx, `UPDATE risk_points SET address = coalesce(address, '') || '（核实）'`); err != nil {
		t.Fatal(err)
	}
	var n int
	_ = e.pool.QueryRow(ctx, `SELECT count(*) FROM risk_points`).Scan(&n)
	if f := feature("xingang", office); f.Count != n || len(f.IDs) > 50 {
		t.Errorf("bulk: %+v, want one event counting %d rows", f, n)
	}
	if f := feature("worker1", worker); f.Count != n {
		t.Errorf("bulk, worker1: %+v", f)
	}
	if ev, ok := next(office, time.Second, "feature"); ok {
		t.Errorf("a second event for one statement: %+v", ev)
	}

	// the worker proposes in their grid; the township approves: the worker
	// hears the decision and the new point
	body := `{"id":"0c2f9a4e-1111-4c3b-8d5e-6f7a8b9c0d1e","layer":"risk_points","reason":"新开挖边坡","feature":{"type":"Feature",
		"geometry":{"type":"Point","coordinates":[115.3,23.1]},"properties":{"name":"边坡","category":"geological","risk_level":1}}}`
	code, p := e.propose("worker1", body, false)
	if code != 201 {
		t.Fatalf("propose: %d", code)
	}
	if code, p = e.decide("xingang", p.ID, fmt.Sprintf(`{"action":"approve","version":%d}`, p.Version)); code != 200 || p.AppliedID == nil {
		t.Fatalf("approve: %d %+v", code, p)
	}
	// (in one transaction: the point, then the decision; the proposer's
	// own "made" event came before)
	var decided struct {
		ID        int64  `json:"id"`
		State     string `json:"state"`
		AppliedID *int64 `json:"applied_id"`
	}
	var heard *featureEvent
	for decided.State != "approved" || heard == nil {
		ev, ok := next(worker, 10*time.Second, "proposal", "feature")
		if !ok {
			t.Fatalf("worker1: after the approval, decision %+v, point %+v", decided, heard)
		}
		if ev.typ == "feature" {
			heard = &featureEvent{}
			_ = json.Unmarshal([]byte(ev.data), heard)
		} else if json.Unmarshal([]byte(ev.data), &decided) != nil || decided.ID != p.ID {
			t.Fatalf("worker1's proposal event %+v", ev)
		}
	}
	if decided.AppliedID == nil || *decided.AppliedID != *p.AppliedID || !slices.Equal(heard.IDs, []int64{*p.AppliedID}) {
		t.Errorf("worker1: decision %+v, point %+v, want the approved point %d", decided, heard, *p.AppliedID)
	}
	if ev, ok := next(office, time.Second, "proposal"); ok {
		t.Errorf("the office heard the proposer's own event: %+v", ev)
	}
}
