package notify_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"riskmap/notify"
	"riskmap/postgres"
)

// Replicas racing for the job: one runs it, the others do not; none runs
// it again before the interval; a holder that died (its lease lapsed, its
// run never completed) is replaced at once by the next that tries, and a
// lease still held is respected.
func TestTheJobRunsOncePerIntervalAcrossReplicas(t *testing.T) {
	f := newFixture(t, notify.Config{})
	ctx := context.Background()
	url := f.pool.Config().ConnString()
	replicas := make([]*notify.Service, 4)
	for i := range replicas {
		pool, err := postgres.Open(ctx, url, 2)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		replicas[i] = notify.New(pool, nil, notify.Config{Interval: time.Hour, Lease: 30 * time.Second, Now: f.clock.Now})
	}
	race := func() int {
		var wg sync.WaitGroup
		var mu sync.Mutex
		ran := 0
		for _, r := range replicas {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, _, err := r.TryRun(ctx)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					ran++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return ran
	}
	if n := race(); n != 1 {
		t.Fatalf("the first start: %d replicas ran the job, want 1", n)
	}
	if n := race(); n != 0 {
		t.Fatalf("again at once: %d ran, want 0 (next run in an hour)", n)
	}
	// a run that started but never completed: its holder died, the lease
	// lapsed, next_run_at never moved on
	if _, err := f.pool.Exec(ctx, `UPDATE job_leases SET holder = 'dead:1:x', expires_at = now() - interval '1 second',
		next_run_at = now() - interval '1 minute' WHERE name = 'notify'`); err != nil {
		t.Fatal(err)
	}
	if n := race(); n != 1 {
		t.Fatalf("after a holder died: %d ran, want 1", n)
	}
	// a holder alive (its lease not lapsed) is left alone even when due
	if _, err := f.pool.Exec(ctx, `UPDATE job_leases SET holder = 'alive:2:y', expires_at = now() + interval '1 minute',
		next_run_at = now() - interval '1 minute' WHERE name = 'notify'`); err != nil {
		t.Fatal(err)
	}
	if n := race(); n != 0 {
		t.Fatalf("while another holds the lease: %d ran, want 0", n)
	}
	var runs int
	var holder *string
	f.pool.QueryRow(ctx, `SELECT runs, holder FROM job_leases WHERE name = 'notify'`).Scan(&runs, &holder)
	if runs != 2 || holder == nil || *holder != "alive:2:y" {
		t.Errorf("runs %d, holder %v", runs, holder)
	}
}
