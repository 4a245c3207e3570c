package demo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"riskmap/cases"
	"riskmap/demo"
	"riskmap/internal/dbtest"
)

// The recent cases are drawn over spans that end at the load time, so the
// states they stand in move with its second: the demo users must find work
// in every open state whenever the demo is loaded.
func TestDemoCasesStandInEveryOpenStateWhateverTheMinuteOfTheLoad(t *testing.T) {
	pool := dbtest.New(t, dbtest.Demo)
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	load, err := demo.LoadsOver(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	// a CI run loaded the demo at about 2026-12-07 21:36 UTC and found no
	// case submitted and four open in 新港; a load at 21:34:24 has none
	// reported, one at 21:37:48 none registered: every second of 21:33–21:38
	start := time.Date(2026, 12, 7, 21, 33, 0, 0, time.UTC)
	for m := range 300 {
		now := start.Add(time.Duration(m) * time.Second)
		grids, states := load(now)
		seen, xingang := map[string]bool{}, 0
		for i, s := range states {
			seen[s] = true
			if cases.IsOpen(s) && strings.HasPrefix(grids[i], "441502001") {
				xingang++
			}
		}
		for _, s := range cases.OpenStates() {
			if !seen[s] {
				t.Errorf("loaded at %s: no case %s", now.Format(time.DateTime), s)
			}
		}
		if xingang < 5 {
			t.Errorf("loaded at %s: %d open cases in 新港, want 5 or more", now.Format(time.DateTime), xingang)
		}
	}
}
