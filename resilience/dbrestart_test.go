package resilience

import (
	"context"
	"testing"
	"time"

	"riskmap/bench/load/workload"
)

// PostgreSQL stopped (pg_ctl stop -m fast: sessions terminated under their
// queries) and started again while clients view, report and act: the
// server stays up, answers 503 (with Retry-After) rather than hang or 500,
// recovers by itself within 5 s of the database's return, and every write
// it acknowledged — before, during and after — is in the database with its
// events.
func TestDatabaseStoppedAndRestartedUnderLoad(t *testing.T) {
	ctx := context.Background()
	t0 := time.Now()
	c := privateCluster(t)
	pool := openPool(t, c.URL())
	t1 := time.Now()
	plan, err := workload.Setup(ctx, pool, 4)
	if err != nil {
		t.Fatal(err)
	}
	t2 := time.Now()
	// a short request deadline, so a request caught by the stop cannot
	// linger; the client gives up after twice that
	const requestTimeout, clientTimeout = 5 * time.Second, 10 * time.Second
	srv := startServer(t, c.URL(), "--request-timeout", requestTimeout.String())
	if err := plan.Login(ctx, srv.Base); err != nil {
		t.Fatal(err)
	}
	t.Logf("private cluster %.1f s, accounts %.1f s, server and logins %.1f s", t1.Sub(t0).Seconds(), t2.Sub(t1).Seconds(), time.Since(t2).Seconds())
	hctx, stopHealth := context.WithCancel(ctx)
	health := workload.WatchHealth(hctx, srv.Base)

	const before, away, after = 4 * time.Second, 4 * time.Second, 8 * time.Second
	var down, up time.Time
	faultErr := make(chan error, 1)
	go func() {
		time.Sleep(before)
		down = time.Now()
		if err := c.Stop(ctx); err != nil {
			faultErr <- err
			return
		}
		stopped := time.Now()
		time.Sleep(away)
		err := c.Start(ctx)
		up = time.Now()
		t.Logf("PostgreSQL stopping %.1f s, away %.1f s, starting %.1f s", stopped.Sub(down).Seconds(), away.Seconds(), up.Sub(stopped.Add(away)).Seconds())
		faultErr <- err
	}()
	res := workload.Run(ctx, plan, workload.Config{Base: srv.Base, Clients: 24, Duration: before + away + after, Timeout: clientTimeout})
	if err := <-faultErr; err != nil {
		t.Fatalf("restarting PostgreSQL: %v", err)
	}
	stopHealth()
	o := res.Outage(down, up)
	ho := health.Outage(down, up)
	t.Logf("%d requests, %d acknowledged writes; %s; %s", len(res.Requests), len(res.Acks), o, ho)

	if !srv.Running() {
		t.Fatal("the server exited while the database was away")
	}
	checkOnly503(t, res, o, clientTimeout, 5*time.Second)
	if o.Slowest > requestTimeout+3*time.Second {
		t.Errorf("a request took %s while the database was away; the deadline is %s", o.Slowest, requestTimeout)
	}
	if ho.NoAnswer > 0 || ho.Unavailable == 0 || ho.BackAfter < 0 || ho.BackAfter > 5*time.Second {
		t.Errorf("/healthz did not follow the database: %s", ho)
	}
	n, problems, err := workload.Verify(ctx, pool, res.Acks)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	if n == 0 {
		t.Error("no write was acknowledged: the load did not run")
	}
	// and the server serves normally
	if status, body := call(t, srv.Base, "GET", "/healthz", "", nil); status != 200 {
		t.Errorf("/healthz after the restart: %d %s", status, body)
	}
}

// checkOnly503 holds a run across a database outage to the rule
// (workload.Outage.Problems: every request answered, only 503 for the
// outage, no 4xx, recovered within recoverWithin, succeeding after).
func checkOnly503(t *testing.T, res *workload.Result, o workload.Outage, clientTimeout, recoverWithin time.Duration) {
	t.Helper()
	for _, p := range o.Problems(res, clientTimeout, recoverWithin) {
		t.Error(p)
	}
}
