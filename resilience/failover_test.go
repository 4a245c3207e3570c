package resilience

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"riskmap/bench/load/workload"
	"riskmap/localdb"
)

// The primary is killed (SIGKILL, as a crashed machine) under 50 clients
// writing and reading, and its synchronous standby promoted: riskmap, not
// restarted, answers 503 meanwhile and nothing else, is back within 10 s of
// the promotion on the new primary (a multi-host DATABASE_URL with
// target_session_attrs=read-write), and every write it acknowledged is on
// the new primary. Before that, tiles made on the standby
// (--read-database-url) show a write within a second of its commit.
func TestFailoverToASynchronousStandbyLosesNoAcknowledgedWrite(t *testing.T) {
	ctx := context.Background()
	t0 := time.Now()
	primary := privateCluster(t)
	standby := privateStandby(t, primary)
	if err := primary.SetSynchronous(ctx, true); err != nil {
		t.Fatal(err)
	}
	pool := openPool(t, primary.URL())
	waitFor(t, 30*time.Second, "the standby streaming synchronously", func() bool {
		var state string
		err := pool.QueryRow(ctx, "SELECT sync_state FROM pg_stat_replication WHERE application_name = $1", localdb.StandbyName).Scan(&state)
		return err == nil && state == "sync"
	})
	plan, err := workload.Setup(ctx, pool, 4)
	if err != nil {
		t.Fatal(err)
	}
	// both servers, the writable one first; each tried for 2 s at most
	multi := fmt.Sprintf("host=%s,%s port=%d,%d user=%s dbname=%s sslmode=disable target_session_attrs=read-write connect_timeout=2",
		primary.SocketDir(), standby.SocketDir(), primary.Port, standby.Port, primary.Role, primary.Database)
	const requestTimeout, clientTimeout = 5 * time.Second, 10 * time.Second
	srv := startServer(t, multi, "--request-timeout", requestTimeout.String(), "--read-database-url", standby.URL())
	if err := plan.Login(ctx, srv.Base); err != nil {
		t.Fatal(err)
	}
	t.Logf("primary, standby, accounts, server: %.1f s", time.Since(t0).Seconds())

	// tiles from the standby: a point written straight to the primary is in
	// its tile, made on the standby, within a second of the commit
	token := plan.Viewer.Token
	tile := tilePath("risk_points", 12, 115.3, 23.1)
	before, _ := fetchTile(t, srv.Base, tile, token)
	var committed time.Time
	if _, err := pool.Exec(ctx, `INSERT INTO risk_points (name, category, risk_level, geom) VALUES ('备库可见', 'fire', 4, ST_SetSRID(ST_MakePoint(115.3, 23.1), 4326))`); err != nil {
		t.Fatal(err)
	}
	committed = time.Now()
	var seen time.Duration
	for {
		if now, _ := fetchTile(t, srv.Base, tile, token); !bytes.Equal(now, before) {
			seen = time.Since(committed)
			break
		}
		if time.Since(committed) > 5*time.Second {
			t.Fatal("the write is not in the tile 5 s after its commit")
		}
		time.Sleep(20 * time.Millisecond)
	}
	fromStandby := metricOf(t, srv.Base, "riskmap_tile_standby_total")
	t.Logf("the write was in the tile %d ms after its commit; %v tiles made on the standby, %v on the primary for freshness",
		seen.Milliseconds(), fromStandby, metricOf(t, srv.Base, "riskmap_tile_standby_fallbacks_total"))
	if seen > time.Second {
		t.Errorf("the write reached the tile %s after its commit; want within a second", seen)
	}
	if fromStandby == 0 {
		t.Error("no tile was made on the standby")
	}

	// a live feed open across the failover is told to reload
	fctx, stopFeed := context.WithCancel(ctx)
	defer stopFeed()
	resync := watchResync(t, fctx, srv.Base, token)
	hctx, stopHealth := context.WithCancel(ctx)
	health := workload.WatchHealth(hctx, srv.Base)
	const before2, detect, after = 5 * time.Second, time.Second, 12 * time.Second
	var down, up time.Time
	faultErr := make(chan error, 1)
	go func() {
		time.Sleep(before2)
		down = time.Now()
		if err := kill(primary); err != nil {
			faultErr <- err
			return
		}
		time.Sleep(detect) // what a failover manager takes to decide
		p0 := time.Now()
		err := standby.Promote(ctx)
		up = time.Now()
		t.Logf("primary killed; standby promoted %.1f s later (pg_ctl promote took %.1f s)", up.Sub(down).Seconds(), up.Sub(p0).Seconds())
		faultErr <- err
	}()
	res := workload.Run(ctx, plan, workload.Config{Base: srv.Base, Clients: 50, Duration: before2 + detect + after, Timeout: clientTimeout})
	if err := <-faultErr; err != nil {
		t.Fatalf("failover: %v", err)
	}
	stopHealth()
	o := res.Outage(down, up)
	ho := health.Outage(down, up)
	t.Logf("%d requests, %d acknowledged writes; %s; %s", len(res.Requests), len(res.Acks), o, ho)

	if !srv.Running() {
		t.Fatal("the server exited during the failover")
	}
	checkOnly503(t, res, o, clientTimeout, 10*time.Second) // recovered within 10 s of the promotion
	if ho.NoAnswer > 0 || ho.BackAfter < 0 || ho.BackAfter > 10*time.Second {
		t.Errorf("/healthz did not follow the failover: %s", ho)
	}
	// the caches listen again (on the new primary) and the feed resynced
	waitFor(t, 10*time.Second, "the tile cache listening again", func() bool { return metricOf(t, srv.Base, "riskmap_tile_cache_live") == 1 })
	select {
	case <-resync:
	case <-time.After(10 * time.Second):
		t.Error("the live feed open across the failover got no resync")
	}
	// every acknowledged write is on the new primary
	newPrimary := openPool(t, standby.URL())
	n, problems, err := workload.Verify(ctx, newPrimary, res.Acks)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	if n == 0 {
		t.Error("no write was acknowledged: the load did not run")
	}
	t.Logf("all %d acknowledged writes found on the new primary", n)
}

// privateStandby is a streaming standby of primary in a private directory
// on a free port, stopped and removed when the test ends.
func privateStandby(t *testing.T, primary *localdb.Cluster) *localdb.Cluster {
	t.Helper()
	addr, err := workload.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(addr[strings.LastIndex(addr, ":")+1:])
	s := primary.Standby()
	s.Port = port
	t.Cleanup(func() {
		if err := s.Stop(context.Background()); err != nil {
			t.Logf("stop standby: %v", err)
		}
		os.RemoveAll(s.Dir)
	})
	if err := primary.StartStandby(context.Background(), s); err != nil {
		t.Fatalf("standby: %v", err)
	}
	return &s
}

// kill ends a cluster as a crash would: SIGKILL to the postmaster and
// every process it started, at once.
func kill(c *localdb.Cluster) error {
	pid, err := c.PostmasterPID()
	if err != nil {
		return err
	}
	pids := []int{pid}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			pids = append(pids, child)
		}
	}
	for _, p := range pids {
		if err := syscall.Kill(p, syscall.SIGKILL); err != nil && p == pid {
			return fmt.Errorf("kill postmaster %d: %w", p, err)
		}
	}
	return nil
}

// watchResync opens a live feed and closes the channel it returns at the
// first event: resync.
func watchResync(t *testing.T, ctx context.Context, base, token string) <-chan struct{} {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("live feed: %v %v", err, res)
	}
	done := make(chan struct{})
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if sc.Text() == "event: resync" {
				close(done)
				return
			}
		}
	}()
	return done
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// metricOf reads one unlabelled value from the server's /metrics.
func metricOf(t *testing.T, base, name string) float64 {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return metric(string(b), name)
}
