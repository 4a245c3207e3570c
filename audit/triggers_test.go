package audit_test

import (
	"context"
	"testing"

	"riskmap/internal/dbtest"
)

// The row triggers (migrations/402_row_triggers.sql) against the definition
// they replace: the row as JSON without geom_3857 and password_hash, its
// geometry as 8-decimal GeoJSON; the version moves only when a value does.
func TestRowTriggersBumpTheVersionAndLogTheRowOnlyWhenSomethingChanged(t *testing.T) {
	pool := dbtest.New(t, dbtest.Demo)
	ctx := context.Background()
	var id int64
	if err := pool.QueryRow(ctx, "SELECT min(id) FROM risk_points").Scan(&id); err != nil {
		t.Fatal(err)
	}
	state := func() (version, logged int) {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT (SELECT version FROM risk_points WHERE id = $1),
			(SELECT count(*) FROM audit_log WHERE tbl = 'risk_points' AND row_id = $1::text)`, id).Scan(&version, &logged); err != nil {
			t.Fatal(err)
		}
		return
	}
	v0, n0 := state()
	for _, c := range []struct {
		name, update string
		bumped       bool
	}{
		{"a write of the same values", "UPDATE risk_points SET name = name, geom = geom WHERE id = $1", false},
		{"a new name", "UPDATE risk_points SET name = name || '（改）' WHERE id = $1", true},
		{"a point moved a metre", "UPDATE risk_points SET geom = ST_Translate(geom, 0.00001, 0) WHERE id = $1", true},
		{"the same values again", "UPDATE risk_points SET address = address WHERE id = $1", false},
	} {
		if _, err := pool.Exec(ctx, c.update, id); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		v, n := state()
		want := 0
		if c.bumped {
			want = 1
		}
		if v-v0 != want || n-n0 != want {
			t.Errorf("%s: version %d → %d, audit lines %d → %d; want both to move by %d", c.name, v0, v, n0, n, want)
		}
		v0, n0 = v, n
	}
	var same bool
	err := pool.QueryRow(ctx, `SELECT a.after = jsonb_set(to_jsonb(r) - 'geom_3857', '{geom}', ST_AsGeoJSON(r.geom, 15)::jsonb)
		   AND a.before -> 'geom' <> a.after -> 'geom' AND NOT a.before ? 'geom_3857'
		   AND (a.before - 'geom' - 'version' - 'updated_at') = (a.after - 'geom' - 'version' - 'updated_at')
		  FROM audit_log a JOIN risk_points r ON r.id::text = a.row_id
		 WHERE a.tbl = 'risk_points' AND r.id = $1 AND a.action = 'update' ORDER BY a.id DESC LIMIT 1`, id).Scan(&same)
	if err != nil || !same {
		t.Errorf("the last audit line (the move) is not the row before and after it (%v)", err)
	}
	// accounts: the password hash never reaches the log
	if _, err := pool.Exec(ctx, "UPDATE users SET password_hash = password_hash || 'x' WHERE id = (SELECT min(id) FROM users)"); err != nil {
		t.Fatal(err)
	}
	var leaks int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE tbl = 'users' AND (after ? 'password_hash' OR before ? 'password_hash')`).Scan(&leaks); err != nil || leaks != 0 {
		t.Errorf("%d audit lines carry a password hash (%v)", leaks, err)
	}
}
