package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap/cases"
)

// The job escalates overdue cases, sends the deadline reminders, reminds
// of 双随机 plans ending soon, sends the daily digests and prunes what is no longer needed, once per Interval
// across all replicas. Every replica runs RunJob; the one that takes the
// lease (job_leases, migration 592) runs the job, renewing the lease while
// it works. Another replica can take it only once it has lapsed — so the
// job never runs twice at once — and next_run_at moves on only when a run
// completes — so a run cut short by a dying replica is run again by
// another, never skipped. Every step is idempotent (the escalation levels,
// case_reminders, the digest's day, the dedupe keys), so running again
// tells no one twice. The first run is at start-up.

// jobName is the job's row in job_leases.
const jobName = "notify"

// RunReport is what one run did.
type RunReport struct {
	Escalations int
	Reminders   map[string]int
	Digests     int
	// PlansDue: 双随机 plans ending within three days with units left
	// (each told of once).
	PlansDue int
	Pruned   int64
	Took     time.Duration
}

// RunJob runs the job whenever it is due and this replica gets the lease,
// until ctx ends.
func (s *Service) RunJob(ctx context.Context) {
	every := min(s.cfg.Interval, s.cfg.Lease/2, 5*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		ran, rep, err := s.TryRun(ctx)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				s.log.Warn("notify job", "err", err)
			}
		case ran:
			s.log.Info("notify job", "escalations", rep.Escalations, "reminders", rep.Reminders, "plans_due", rep.PlansDue, "digests", rep.Digests,
				"pruned_feed_events", rep.Pruned, "took", rep.Took.Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// TryRun runs the job once if it is due and the lease is free (or lapsed);
// it reports whether it ran.
func (s *Service) TryRun(ctx context.Context) (bool, RunReport, error) {
	var started time.Time
	err := s.pool.QueryRow(ctx, `UPDATE job_leases SET holder = $2, expires_at = now() + make_interval(secs => $3), last_started_at = now()
		WHERE name = $1 AND next_run_at <= now() AND (holder IS NULL OR expires_at < now())
		RETURNING last_started_at`, jobName, s.cfg.Holder, s.cfg.Lease.Seconds()).Scan(&started)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, RunReport{}, nil
	}
	if err != nil {
		return false, RunReport{}, fmt.Errorf("notify job: lease: %w", err)
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(s.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
			}
			tag, err := s.pool.Exec(runCtx, `UPDATE job_leases SET expires_at = now() + make_interval(secs => $3) WHERE name = $1 AND holder = $2`,
				jobName, s.cfg.Holder, s.cfg.Lease.Seconds())
			if err == nil && tag.RowsAffected() == 0 {
				cancel(errors.New("the lease was lost"))
				return
			}
		}
	}()
	rep, runErr := s.RunOnce(runCtx, s.cfg.Now())
	cancel(nil)
	<-renewed
	if cause := context.Cause(runCtx); runErr != nil && cause != nil && cause != context.Canceled {
		runErr = fmt.Errorf("%w (%v)", runErr, cause)
	}
	// done: the next run is due an interval on (sooner after a failure)
	next, msg := s.cfg.Interval, (*string)(nil)
	if runErr != nil {
		next = min(s.cfg.Interval, 30*time.Second)
		m := clip(runErr.Error(), 500)
		msg = &m
	}
	_, err = s.pool.Exec(context.WithoutCancel(ctx), `UPDATE job_leases SET holder = NULL, expires_at = NULL, last_finished_at = now(),
			next_run_at = now() + make_interval(secs => $3), last_error = $4, runs = runs + 1
		WHERE name = $1 AND holder = $2`, jobName, s.cfg.Holder, next.Seconds(), msg)
	if err != nil && runErr == nil {
		runErr = fmt.Errorf("notify job: release the lease: %w", err)
	}
	return true, rep, runErr
}

// RunOnce runs every step of the job as at now, without the lease (tests
// and the benchmark call it; replicas call TryRun).
func (s *Service) RunOnce(ctx context.Context, now time.Time) (RunReport, error) {
	start := time.Now()
	rep := RunReport{Reminders: map[string]int{}}
	var err error
	if s.cases != nil {
		if rep.Escalations, err = s.cases.Escalate(ctx, now, s.cfg.Batch); err != nil {
			return rep, err
		}
	}
	for _, kind := range []string{"overdue", "due_today", "due_tomorrow"} {
		n, err := s.remind(ctx, kind, now)
		rep.Reminders[kind] = n
		if err != nil {
			return rep, err
		}
	}
	if rep.PlansDue, err = s.inspectionsDue(ctx, now); err != nil {
		return rep, err
	}
	if rep.Digests, err = s.digests(ctx, now); err != nil {
		return rep, err
	}
	if rep.Pruned, err = cases.PruneFeed(ctx, s.pool, s.cfg.FeedWindow.Seconds()); err != nil {
		return rep, err
	}
	// delivered messages are kept 30 days for the office to look back
	if _, err := s.pool.Exec(ctx, `DELETE FROM notification_outbox WHERE state = 'delivered' AND delivered_at < $1`,
		now.Add(-30*24*time.Hour)); err != nil {
		return rep, fmt.Errorf("notify job: prune the outbox: %w", err)
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// remindSQL records, for up to $5 cases, that the reminder of kind $1 is
// sent for their current deadline, returning those newly recorded. The
// cases due: $2 now, $3 and $4 the start of tomorrow and of the day after
// (Asia/Shanghai).
const remindSQL = `
WITH due AS (
	SELECT c.id, c.deadline FROM cases c
	 WHERE CASE $1::text
		WHEN 'overdue' THEN riskmap_case_open(c.state) AND c.deadline < $2::timestamptz
		WHEN 'due_today' THEN c.state IN ('assigned', 'rectifying') AND c.deadline >= $2::timestamptz AND c.deadline < $3::timestamptz
		WHEN 'due_tomorrow' THEN c.state IN ('assigned', 'rectifying') AND c.deadline >= $3::timestamptz AND c.deadline < $4::timestamptz
		END
	   AND NOT EXISTS (SELECT 1 FROM case_reminders r WHERE r.case_id = c.id AND r.kind = $1 AND r.deadline = c.deadline)
	 ORDER BY c.deadline, c.id
	 LIMIT $5)
INSERT INTO case_reminders (case_id, kind, deadline, sent_at)
SELECT id, $1, deadline, $2 FROM due
ON CONFLICT DO NOTHING
RETURNING case_id::text`

// remind sends the reminders of kind due at now, a batch per transaction.
// Deadline reminders wait for RemindHour; overdue ones go at once.
func (s *Service) remind(ctx context.Context, kind string, now time.Time) (int, error) {
	local := now.In(shanghai)
	if kind != "overdue" && local.Hour() < s.cfg.RemindHour {
		return 0, nil
	}
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, shanghai)
	tomorrow, after := today.AddDate(0, 0, 1), today.AddDate(0, 0, 2)
	total := 0
	for {
		var n int
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, remindSQL, kind, now, tomorrow, after, s.cfg.Batch)
			if err != nil {
				return err
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			n = len(ids)
			ns := make([]notice, len(ids))
			for i, id := range ids {
				ns[i] = notice{Kind: kind, CaseID: id}
			}
			return s.deliver(ctx, tx, ns)
		})
		if err != nil {
			return total, fmt.Errorf("notify job: %s reminders: %w", kind, err)
		}
		total += n
		if n < s.cfg.Batch {
			return total, nil
		}
	}
}
