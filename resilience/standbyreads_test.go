package resilience

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/auth"
	"riskmap/localdb"
)

// With --read-database-url, lists, OGC items, exports, statistics and
// coverage are read on the standby while it is fresh, and a client's read
// after its own write shows the write at once: while the standby has not
// replayed it, the primary answers. A standby that stops costs nothing but
// that fallback, and is used again once it is back.
func TestReadsOnAStandbyAreFreshAndItsLossCostsOnlyAFallback(t *testing.T) {
	ctx := context.Background()
	t0 := time.Now()
	primary := privateCluster(t)
	standby := privateStandby(t, primary)
	pool := openPool(t, primary.URL())
	spool := openPool(t, standby.URL())
	waitFor(t, 30*time.Second, "the standby streaming", func() bool {
		var n int
		err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'", localdb.StandbyName).Scan(&n)
		return err == nil && n == 1
	})
	srv := startServer(t, primary.URL(), "--read-database-url", standby.URL())
	city, _ := user(t, pool, srv.Base, auth.UserSpec{Username: "planner", Role: "city", Areas: []string{"441500000000"}})
	worker, _ := user(t, pool, srv.Base, auth.UserSpec{Username: "worker", Role: "worker", Grids: []string{"441502001001001"}})
	colleague, _ := user(t, pool, srv.Base, auth.UserSpec{Username: "colleague", Role: "city", Areas: []string{"441500000000"}})
	t.Logf("primary, standby, server and accounts: %.1f s", time.Since(t0).Seconds())

	now := time.Now().In(time.FixedZone("CST", 8*3600))
	// the statistics' period ends tomorrow, so that the case reported below
	// falls in it even when the test runs across midnight in Shanghai
	year, to := now.Format("2006"), now.AddDate(0, 0, 1).Format(time.DateOnly)
	type read struct {
		name, path, reader string
	}
	reads := []read{
		{"layer list", "/api/v1/risk_points?limit=1000", "features"},
		{"OGC items", "/ogc/collections/risk_points/items?limit=1000", "features"},
		{"export", "/api/v1/risk_points/export?format=geojson", "features"},
		{"risk statistics", "/api/v1/stats/risk-areas?area=441500000000", "features"},
		{"case list", "/api/v1/cases?limit=100", "cases"},
		{"case statistics", "/api/v1/stats/rectification?area=441500000000&from=" + year + "-01-01&to=" + to, "cases"},
		{"coverage", "/api/v1/coverage?facility=stations&max_distance_m=1000", "coverage"},
	}
	// answered by the standby too (step 1 and 4; no writes of theirs here)
	more := []read{
		{"patrol list", "/api/v1/patrols?limit=100", "patrols"},
		{"inspection statistics", "/api/v1/stats/inspections?area=441500000000&from=" + year + "-01-01&to=" + to, "inspections"},
	}
	get := func(r read) string {
		t.Helper()
		status, body := call(t, srv.Base, "GET", r.path, city, nil)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %s", r.name, status, body)
		}
		return string(body)
	}
	outcomes := func() map[string]float64 {
		_, text := call(t, srv.Base, "GET", "/metrics", "", nil)
		out := map[string]float64{}
		for _, reader := range []string{"features", "cases", "coverage", "tiles", "patrols", "inspections"} {
			for _, o := range []string{"standby", "behind", "away", "unknown"} {
				out[reader+"/"+o] = max(0, metric(string(text), fmt.Sprintf(`riskmap_standby_reads_total{outcome=%q,reader=%q}`, o, reader)))
			}
		}
		return out
	}
	standbyXacts := func() int64 {
		var n int64
		if err := spool.QueryRow(ctx, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// 1. the standby current: every read path is answered by it
	waitFor(t, 10*time.Second, "reads on the standby", func() bool {
		get(reads[0])
		return outcomes()["features/standby"] > 0
	})
	before, x0 := outcomes(), standbyXacts()
	for range 3 {
		for _, r := range append(reads, more...) {
			get(r)
		}
	}
	after := outcomes()
	for _, r := range append(reads, more...) {
		if after[r.reader+"/standby"]-before[r.reader+"/standby"] < 3 {
			t.Errorf("%s: %v reads of %s on the standby, want at least 3 (outcomes before %v, after %v)", r.name,
				after[r.reader+"/standby"]-before[r.reader+"/standby"], r.reader, before, after)
		}
	}
	// PostgreSQL counts them too (its statistics are flushed within 10 s)
	want := int64(3 * (len(reads) + len(more)))
	waitFor(t, 15*time.Second, fmt.Sprintf("%d transactions counted on the standby", want), func() bool { return standbyXacts()-x0 >= want })

	// 2. the standby stopped replaying: a change this replica never heard
	// of (no trigger, no notification) is not seen, proving the standby
	// answers; the client's own writes through the API are, at once
	if _, err := spool.Exec(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			_, _ = spool.Exec(ctx, "SELECT pg_wal_replay_resume()")
		}
	}()
	silently(t, pool, "UPDATE risk_points SET name = '只在主库改名' WHERE id = 1")
	if strings.Contains(get(reads[0]), "只在主库改名") {
		t.Fatal("a list shows a change made on the primary that this replica never heard of while the standby does not replay: it was not read on the standby")
	}
	// a user's own write made through another replica (here: its position
	// stored as that replica's API stores it) holds that user's reads to
	// it, whichever replica answers; other users' reads stay on the standby
	if _, err := pool.Exec(ctx, `INSERT INTO user_write_positions (user_id, lsn)
		SELECT id, pg_current_wal_lsn() FROM users WHERE username = 'colleague'`); err != nil {
		t.Fatal(err)
	}
	if status, body := call(t, srv.Base, "GET", reads[0].path, colleague, nil); status != http.StatusOK || !strings.Contains(string(body), "只在主库改名") {
		t.Errorf("the colleague, who wrote elsewhere after the change, does not see it: %d %.200s", status, body)
	}
	if strings.Contains(get(reads[0]), "只在主库改名") {
		t.Error("another user's write position held the planner's reads too")
	}
	var lsn0 string
	if err := pool.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn0); err != nil {
		t.Fatal(err)
	}
	status, body := call(t, srv.Base, "POST", "/api/v1/risk_points", city, map[string]any{"type": "Feature",
		"geometry":   map[string]any{"type": "Point", "coordinates": []float64{115.2, 23.2}},
		"properties": map[string]any{"name": "备库暂停时新建", "category": "flood", "risk_level": 4}})
	if status != http.StatusCreated {
		t.Fatalf("create a risk point: %d %s", status, body)
	}
	caseID := "6c1d8e1f-3b5a-4d2f-8e9b-7a4f3c2b1d0e"
	status, body = call(t, srv.Base, "POST", "/api/v1/cases", worker, map[string]any{"type": "Feature", "id": caseID,
		"geometry":   map[string]any{"type": "Point", "coordinates": []float64{115.06, 23.25}},
		"properties": map[string]any{"grade": "general", "category": "flood", "description": "备库暂停时上报"}})
	if status != http.StatusCreated {
		t.Fatalf("report a case: %d %s", status, body)
	}
	// the API stored the planner's position: other replicas hold the
	// planner's reads to it
	var stored bool
	if err := pool.QueryRow(ctx, `SELECT w.lsn > $1::pg_lsn
		FROM user_write_positions w JOIN users u ON u.id = w.user_id WHERE u.username = 'planner'`, lsn0).Scan(&stored); err != nil || !stored {
		t.Errorf("the planner's write position is not stored after a write through the API: %v", err)
	}
	before = outcomes()
	var fallback []time.Duration
	for _, r := range reads {
		t1 := time.Now()
		got := get(r)
		fallback = append(fallback, time.Since(t1))
		var ok bool
		switch r.name {
		case "layer list", "OGC items", "export":
			ok = strings.Contains(got, "备库暂停时新建") && strings.Contains(got, "只在主库改名")
		case "risk statistics":
			ok = riskTotal(t, got) == 401
		case "case list":
			ok = strings.Contains(got, caseID)
		case "case statistics":
			ok = strings.Contains(got, `"found":1`)
		case "coverage":
			ok = strings.Contains(got, `"uncovered_risk_points_total":401`)
		}
		if !ok {
			t.Errorf("%s right after the client's writes, the standby not replaying: the writes are missing: %.300s", r.name, got)
		}
	}
	after = outcomes()
	for _, r := range reads {
		if after[r.reader+"/behind"] == before[r.reader+"/behind"] {
			t.Errorf("%s: no read of %s fell back for a standby behind (before %v, after %v)", r.name, r.reader, before, after)
		}
	}
	t.Logf("reads after the client's writes, the standby paused (each waited --read-max-wait, then the primary answered): %v", fallback)

	// 3. replaying again: the standby answers again, with everything
	if _, err := spool.Exec(ctx, "SELECT pg_wal_replay_resume()"); err != nil {
		t.Fatal(err)
	}
	resumed = true
	waitFor(t, 10*time.Second, "the standby answering again", func() bool {
		b := outcomes()["features/standby"]
		got := get(reads[0])
		return outcomes()["features/standby"] > b && strings.Contains(got, "备库暂停时新建") && strings.Contains(got, "只在主库改名")
	})

	// 4. the standby stopped: the primary answers at once, every time
	var up []time.Duration
	for range 10 {
		t1 := time.Now()
		get(reads[0])
		up = append(up, time.Since(t1))
	}
	before = outcomes()
	if err := standby.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	var down []time.Duration
	for range 10 {
		for _, r := range reads {
			t1 := time.Now()
			got := get(r)
			if r.name == "layer list" {
				down = append(down, time.Since(t1))
				if !strings.Contains(got, "备库暂停时新建") {
					t.Error("the list, the standby stopped, lacks the risk point")
				}
			}
		}
	}
	after = outcomes()
	slices.Sort(up)
	slices.Sort(down)
	t.Logf("layer list with the standby up: median %s, slowest %s; stopped: median %s, slowest %s; outcomes %v",
		up[len(up)/2].Round(time.Millisecond), up[len(up)-1].Round(time.Millisecond), down[len(down)/2].Round(time.Millisecond), down[len(down)-1].Round(time.Millisecond), after)
	if after["features/away"] == before["features/away"] {
		t.Error("no read fell back for a standby away")
	}
	if d := down[len(down)-1]; d > up[len(up)-1]+time.Second {
		t.Errorf("a list took %s with the standby stopped (at most %s with it up): its loss should cost nothing but the fallback", d, up[len(up)-1])
	}
	// and it is used again once it is back (after the rest: 5 s)
	if err := primary.StartStandby(ctx, *standby); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "reads on the restarted standby", func() bool {
		b := outcomes()["features/standby"]
		get(reads[0])
		return outcomes()["features/standby"] > b
	})
}

// silently runs sql on the primary with triggers off: no notification, no
// audit; a change no replica hears of.
func silently(t *testing.T, pool *pgxpool.Pool, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET session_replication_role = replica; "+sql+"; RESET session_replication_role"); err != nil {
		t.Fatal(err)
	}
}

// riskTotal is the sum of the townships' risk points in /stats/risk-areas.
func riskTotal(t *testing.T, body string) int {
	t.Helper()
	var out struct {
		Areas []struct {
			Total int `json:"total"`
		} `json:"areas"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("risk statistics: %v: %.300s", err, body)
	}
	n := 0
	for _, r := range out.Areas {
		n += r.Total
	}
	return n
}
