package resilience

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/auth"
	"riskmap/bench/load/workload"
)

// Two server processes run the reminder and escalation job on one
// database; the one holding the job's lease is killed (SIGKILL) in the
// middle of a run. The other takes the lease once it lapses and finishes
// the run: every overdue case is escalated exactly once per level (the
// county; the city too for a major hazard), and everyone concerned is told
// exactly once.
func TestTheJobEscalatesOncePerLevelWhenAReplicaDiesMidRun(t *testing.T) {
	url, pool := scratchDB(t)
	ctx := context.Background()
	// offices: a county user per county, a township user per township,
	// the city; a worker in one grid per township
	counties := map[string]string{"441502000000": "county_cq", "441521000000": "county_hf"}
	for code, name := range counties {
		user0(t, pool, auth.UserSpec{Username: name, Role: riskmap.RoleCounty, Areas: []string{code}})
	}
	user0(t, pool, auth.UserSpec{Username: "city", Role: riskmap.RoleCity, Areas: []string{"441500000000"}})
	towns := []string{"441502001000", "441502002000", "441521101000", "441521102000"}
	var workers []int64
	for i, town := range towns {
		user0(t, pool, auth.UserSpec{Username: fmt.Sprintf("town%d", i+1), Role: riskmap.RoleTownship, Areas: []string{town}})
		workers = append(workers, user0(t, pool, auth.UserSpec{Username: fmt.Sprintf("worker%d", i+1), Role: riskmap.RoleWorker,
			Grids: []string{town[:9] + "001001"}}))
	}

	// small batches, a short lease and interval: a run takes a while, a
	// dead holder's lease lapses in 2 s
	args := []string{"--notify-batch", "5", "--notify-lease", "2s", "--notify-interval", "2s"}
	a := startServer(t, url, args...)
	b := startServer(t, url, args...)
	servers := map[int]*workload.Server{a.Pid(): a, b.Pid(): b}
	// both have run the start-up job on an empty loop; now the overdue cases
	const n = 600
	if _, err := pool.Exec(ctx, `
		INSERT INTO cases (id, grade, category, description, reporter_name, state, assignee_id, assignee_name, deadline, reported_at, geom)
		SELECT gen_random_uuid(), CASE WHEN i % 5 = 0 THEN 'major' ELSE 'general' END, 'flood', '积水点' || i, '网格员',
		       'rectifying', ($1::bigint[])[1 + i % 4], '网格员', now() - make_interval(days => 4 + (i % 5 = 0)::int * 4),
		       now() - interval '20 days',
		       ST_SetSRID(ST_MakePoint(115.0 + 0.25 * (i % 4) + 0.06, 23.25), 4326)
		  FROM generate_series(1, $2) i`, workers, n); err != nil {
		t.Fatal(err)
	}
	const levels = n + n/5 // every case to the county, the major ones to the city too
	escalations := func() int {
		var c int
		pool.QueryRow(ctx, `SELECT count(*) FROM case_events WHERE action = 'escalate'`).Scan(&c)
		return c
	}
	// kill whoever holds the lease once some, not all, are escalated
	var killed int
	deadline := time.Now().Add(2 * time.Minute)
	for killed == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("never caught a run midway: %d escalations", escalations())
		}
		done := escalations()
		var holder *string
		pool.QueryRow(ctx, `SELECT holder FROM job_leases WHERE name = 'notify'`).Scan(&holder)
		if done > 0 && done < levels/2 && holder != nil {
			parts := strings.Split(*holder, ":")
			pid, _ := strconv.Atoi(parts[len(parts)-2])
			if s, ok := servers[pid]; ok {
				s.Kill()
				killed = pid
				t.Logf("killed replica %d holding the lease after %d of %d escalations", pid, done, levels)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	// the other finishes the run: every case escalated and reminded, the
	// lease free
	deadline = time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		var reminded int
		var free bool
		pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM case_reminders WHERE kind = 'overdue'),
			(SELECT holder IS NULL FROM job_leases WHERE name = 'notify')`).Scan(&reminded, &free)
		if escalations() == levels && reminded == n && free {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // and another run would show anything twice
	var events, distinct, cases1, cases2 int
	pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT (case_id, details ->> 'level')),
			count(DISTINCT case_id) FILTER (WHERE details ->> 'level' = '1'), count(DISTINCT case_id) FILTER (WHERE details ->> 'level' = '2')
		  FROM case_events WHERE action = 'escalate'`).Scan(&events, &distinct, &cases1, &cases2)
	if events != levels || distinct != levels || cases1 != n || cases2 != n/5 {
		t.Fatalf("%d escalate events (%d distinct case levels; %d cases at level 1, %d at level 2), want %d: %d and %d",
			events, distinct, cases1, cases2, levels, n, n/5)
	}
	var wrongLevel int
	pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE escalation_level <> CASE WHEN grade = 'major' THEN 2 ELSE 1 END`).Scan(&wrongLevel)
	if wrongLevel != 0 {
		t.Errorf("%d cases at the wrong escalation level", wrongLevel)
	}
	// everyone told once: the county of each case per level 1, the city per
	// level 2, the township for both, the assignee of the overdue case
	var told []int
	for _, q := range []string{
		`SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.kind = 'escalated' AND u.role = 'county'`,
		`SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.kind = 'escalated' AND u.role = 'city'`,
		`SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.kind = 'escalated' AND u.role = 'township'`,
		`SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.kind = 'overdue' AND u.role = 'worker'`,
		`SELECT count(*) FROM (SELECT 1 FROM notifications GROUP BY user_id, case_id, kind, title HAVING count(*) > 1) x`,
	} {
		var c int
		if err := pool.QueryRow(ctx, q).Scan(&c); err != nil {
			t.Fatal(err)
		}
		told = append(told, c)
	}
	if want := []int{n, n / 5, levels, n, 0}; fmt.Sprint(told) != fmt.Sprint(want) {
		t.Errorf("told: county %d, city %d, township %d, assignees (overdue) %d, twice %d; want %v", told[0], told[1], told[2], told[3], told[4], want)
	}
	var holder *string
	var runs int
	pool.QueryRow(ctx, `SELECT last_error, runs FROM job_leases WHERE name = 'notify'`).Scan(&holder, &runs)
	if holder != nil {
		t.Errorf("the job's last error: %s", *holder)
	}
	t.Logf("%d completed runs of the job", runs)
}

// user0 makes an account straight in the tables (no password hashing: it
// never logs in) and returns its id.
func user0(t *testing.T, pool *pgxpool.Pool, spec auth.UserSpec) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	if err := pool.QueryRow(ctx, `INSERT INTO users (username, display_name, role, password_hash) VALUES ($1, $1, $2, 'x') RETURNING id`,
		spec.Username, spec.Role).Scan(&id); err != nil {
		t.Fatalf("user %s: %v", spec.Username, err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO user_areas (user_id, area_code) SELECT $1, unnest($2::text[])`, id, spec.Areas); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO user_grids (user_id, grid_code) SELECT $1, unnest($2::text[])`, id, spec.Grids); err != nil {
		t.Fatal(err)
	}
	return id
}
