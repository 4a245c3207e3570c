package cases

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"riskmap"
)

// ReplayLimit is the most stored events a reconnecting client is replayed
// (before its own filter): beyond that, it reloads.
const ReplayLimit = 5000

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Replay returns, in order, the events numbered after `after` that u may
// see, from the stored feed (migration 590). ok is false when the client
// must reload instead: the events it missed are no longer all stored (older
// than the replay window), it names an event the store never had (another
// database), or more than ReplayLimit events followed it.
func (f *Feed) Replay(ctx context.Context, u *riskmap.User, after int64) (changes []Change, ok bool, err error) {
	all, ok, err := readStored(ctx, f.pool, after, ReplayLimit)
	if err != nil || !ok {
		return nil, false, err
	}
	for _, c := range all {
		if c.VisibleTo(u) {
			changes = append(changes, c)
		}
	}
	return changes, true, nil
}

// readStored reads the stored events after `after`, up to limit, in order;
// ok as for Replay.
func readStored(ctx context.Context, db querier, after int64, limit int) ([]Change, bool, error) {
	if after < 0 {
		return nil, false, nil
	}
	var pruned, newest int64
	if err := db.QueryRow(ctx, `SELECT (SELECT pruned_through FROM feed_state), (SELECT coalesce(max(id), 0) FROM feed_events)`).
		Scan(&pruned, &newest); err != nil {
		return nil, false, fmt.Errorf("feed replay: %w", err)
	}
	if after < pruned || after > newest && after > pruned {
		return nil, false, nil
	}
	rows, err := db.Query(ctx, `SELECT id, kind, payload::text FROM feed_events WHERE id > $1 ORDER BY id LIMIT $2`, after, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("feed replay: %w", err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var seq int64
		var kind, payload string
		if err := rows.Scan(&seq, &kind, &payload); err != nil {
			return nil, false, fmt.Errorf("feed replay: %w", err)
		}
		c, err := ParseChange([]byte(payload))
		if err != nil {
			return nil, false, err
		}
		c.Seq, c.Kind = seq, kind
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("feed replay: %w", err)
	}
	if len(out) > limit {
		return nil, false, nil
	}
	return out, true, nil
}

// PruneFeed removes the stored events older than keep (now by the
// database's clock) and moves the replay watermark past them. It returns
// how many it removed.
func PruneFeed(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, keepSecs float64) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		var upto *int64
		if err := tx.QueryRow(ctx, `SELECT max(id) FROM feed_events WHERE at < now() - make_interval(secs => $1)`, keepSecs).Scan(&upto); err != nil {
			return err
		}
		if upto == nil {
			return nil
		}
		tag, err := tx.Exec(ctx, `DELETE FROM feed_events WHERE id <= $1`, *upto)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		_, err = tx.Exec(ctx, `UPDATE feed_state SET pruned_through = greatest(pruned_through, $1)`, *upto)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune the stored feed: %w", err)
	}
	return n, nil
}
