package workload

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Verify checks that every acknowledged write is in the database: each
// reported case exists with exactly one report event, each acknowledged
// action is among its case's events with the version it answered, each
// attachment is recorded on its case. It returns how many writes it
// checked and what is missing.
func Verify(ctx context.Context, pool *pgxpool.Pool, acks []Ack) (int, []string, error) {
	type event struct {
		action  string
		version int
	}
	var ids, atts []string
	seen := map[string]bool{}
	for _, a := range acks {
		if !seen[a.Case] {
			seen[a.Case] = true
			ids = append(ids, a.Case)
		}
		if a.Attachment != "" {
			atts = append(atts, a.Attachment)
		}
	}
	events := map[string]map[event]int{}
	rows, err := pool.Query(ctx, "SELECT case_id::text, action, version FROM case_events WHERE case_id = ANY($1::uuid[])", ids)
	if err != nil {
		return 0, nil, fmt.Errorf("read events: %w", err)
	}
	for rows.Next() {
		var id string
		var e event
		if err := rows.Scan(&id, &e.action, &e.version); err != nil {
			rows.Close()
			return 0, nil, err
		}
		if events[id] == nil {
			events[id] = map[event]int{}
		}
		events[id][e]++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	stored := map[string]int{}
	rows, err = pool.Query(ctx, "SELECT id::text, version FROM cases WHERE id = ANY($1::uuid[])", ids)
	if err != nil {
		return 0, nil, fmt.Errorf("read cases: %w", err)
	}
	for rows.Next() {
		var id string
		var v int
		if err := rows.Scan(&id, &v); err != nil {
			rows.Close()
			return 0, nil, err
		}
		stored[id] = v
	}
	rows.Close()
	attached := map[string]string{}
	rows, err = pool.Query(ctx, "SELECT id::text, case_id::text FROM attachments WHERE id = ANY($1::uuid[])", atts)
	if err != nil {
		return 0, nil, fmt.Errorf("read attachments: %w", err)
	}
	for rows.Next() {
		var id, c string
		if err := rows.Scan(&id, &c); err != nil {
			rows.Close()
			return 0, nil, err
		}
		attached[id] = c
	}
	rows.Close()

	var problems []string
	for _, a := range acks {
		v, ok := stored[a.Case]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s of case %s was acknowledged, but the case is not in the database", a.Action, a.Case))
		case a.Attachment != "":
			if attached[a.Attachment] != a.Case {
				problems = append(problems, fmt.Sprintf("attachment %s of case %s was acknowledged, but is not recorded on it", a.Attachment, a.Case))
			}
		case events[a.Case][event{a.Action, a.Version}] != 1:
			problems = append(problems, fmt.Sprintf("%s of case %s (version %d) was acknowledged; the case has %d such events",
				a.Action, a.Case, a.Version, events[a.Case][event{a.Action, a.Version}]))
		case v < a.Version:
			problems = append(problems, fmt.Sprintf("case %s stands at version %d, below the acknowledged %s (version %d)", a.Case, v, a.Action, a.Version))
		}
	}
	for id, es := range events {
		n := 0
		for e, k := range es {
			if e.action == "report" {
				n += k
			}
		}
		if n != 1 {
			problems = append(problems, fmt.Sprintf("case %s has %d report events, want 1", id, n))
		}
	}
	return len(acks), problems, nil
}
