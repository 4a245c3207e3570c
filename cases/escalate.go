package cases

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap/postgres"
)

// Escalation levels: who an overdue case is escalated to.
const (
	LevelCounty = 1 // overdue by more than Config.Grace
	LevelCity   = 2 // a major hazard overdue by more than Grace + CityGrace
)

// escalateSQL escalates up to $4 open cases overdue at $1 by more than the
// grace ($2 seconds; a major hazard by more than $3 seconds goes on to the
// city) whose level for the current deadline is below the one due, and
// returns each with the levels it passed. The rows are locked first: a case
// an action is changing is escalated after it, as it then stands (the lock
// re-reads the row, and a new deadline drops out of the WHERE).
const escalateSQL = `
WITH due AS (
	SELECT c.id, c.escalation_level AS was,
		CASE WHEN c.grade = 'major' AND c.deadline < $1::timestamptz - make_interval(secs => $3) THEN 2 ELSE 1 END AS level
	  FROM cases c
	 WHERE riskmap_case_open(c.state) AND c.deadline < $1::timestamptz - make_interval(secs => $2)
	   AND c.escalation_level < CASE WHEN c.grade = 'major' AND c.deadline < $1::timestamptz - make_interval(secs => $3) THEN 2 ELSE 1 END
	 ORDER BY c.deadline, c.id
	 LIMIT $4
	   FOR UPDATE OF c),
up AS (
	UPDATE cases c SET escalation_level = due.level, escalated_at = $1::timestamptz, first_escalated_at = coalesce(c.first_escalated_at, $1::timestamptz)
	  FROM due WHERE c.id = due.id
	RETURNING c.id, due.was, due.level, c.state, c.version, c.deadline),
ev AS (
	INSERT INTO case_events (case_id, at, actor_id, actor, role, action, from_state, to_state, version, deadline, details)
	SELECT up.id, $1::timestamptz, NULL, '系统', 'system', 'escalate', up.state, up.state, up.version, up.deadline,
		jsonb_build_object('level', l, 'to', CASE l WHEN 1 THEN 'county' ELSE 'city' END,
			'overdue_days', floor(extract(epoch FROM $1::timestamptz - up.deadline) / 86400)::int)
	  FROM up CROSS JOIN LATERAL generate_series(up.was + 1, up.level) l
	ON CONFLICT DO NOTHING
	RETURNING case_id, (details ->> 'level')::int AS level)
SELECT up.id::text, ev.level FROM up LEFT JOIN ev ON ev.case_id = up.id ORDER BY 1, 2`

// Escalate records the escalations due at now, in transactions of up to
// batch cases: for each case overdue by more than the grace whose level
// for its current deadline is below the one due, an 'escalate' event per
// level passed (from the system, the state unchanged), the case's level
// raised (a new version: the live feed tells the offices), and the
// notifier told in the same transaction. It is idempotent: each case,
// deadline and level is escalated once, however often and by however many
// replicas it runs. It returns the events recorded.
func (s *Store) Escalate(ctx context.Context, now time.Time, batch int) (int, error) {
	if batch <= 0 {
		batch = 500
	}
	total := 0
	for {
		var n int
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT set_config('riskmap.case_action', 'escalate', true),
				set_config('riskmap.actor', 'system (escalation)', true)`); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, escalateSQL, now, s.cfg.Grace.Seconds(), (s.cfg.Grace + s.cfg.CityGrace).Seconds(), batch)
			if err != nil {
				return postgres.Translate(err)
			}
			var events []Recorded
			seen := map[string]bool{}
			for rows.Next() {
				var id string
				var level *int
				if err := rows.Scan(&id, &level); err != nil {
					rows.Close()
					return err
				}
				seen[id] = true
				// no level: recorded before for this deadline (assigned
				// again with the same one)
				if level != nil {
					events = append(events, Recorded{CaseID: id, Action: "escalate", Level: *level, At: now})
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return postgres.Translate(err)
			}
			n = len(seen)
			total += len(events)
			return s.tell(ctx, tx, events...)
		})
		if err != nil {
			return total, fmt.Errorf("escalate: %w", err)
		}
		if n < batch {
			return total, nil
		}
	}
}
