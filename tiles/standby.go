package tiles

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Tiles from a standby (Options.ReadPool), with the freshness rule: a
// tile is made on the standby only once it has replayed every change this
// replica has heard of, else on the primary. The listener, on each change
// notification (and each Sync barrier), reads the primary's WAL position
// at that moment, which is past the change's commit (a NOTIFY is
// delivered after its commit); a tile query on the standby first checks
// that pg_last_wal_replay_lsn() has reached the latest such position. So
// neither the cache nor a client after its own write (the API syncs
// before answering a write) ever sees a tile older than a change the
// replica has heard of. A primary (the standby promoted) answers NULL:
// fresh by definition.

// noteChange records the primary's WAL position after a notification,
// read on the listening connection.
func (s *Service) noteChange(ctx context.Context, conn *pgx.Conn) {
	if s.readPool == nil || conn == nil {
		return
	}
	var lsn string
	if err := conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn); err != nil {
		// unknown: trust no standby until the next notification tells
		s.wantLSN.Store(&unknownLSN)
		return
	}
	s.wantLSN.Store(&lsn)
}

// unknownLSN makes every standby read fall back to the primary.
var unknownLSN = "FFFFFFFF/FFFFFFFF"

// queryStandby makes a tile on the standby if it has replayed far enough;
// ok is false when it has not (or cannot say), and the caller asks the
// primary.
func (s *Service) queryStandby(ctx context.Context, sql string, args []any) (data []byte, ok bool, err error) {
	want := s.wantLSN.Load()
	if want == nil {
		want = &unknownLSN // listening has not begun: nothing is known
	}
	conn, err := s.readPool.Acquire(ctx)
	if err != nil {
		return nil, false, nil // the standby is away: the primary answers
	}
	defer conn.Release()
	var fresh bool
	if err := conn.QueryRow(ctx, "SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, true)", *want).Scan(&fresh); err != nil {
		return nil, false, nil
	}
	if !fresh {
		s.readStats.fellBack.Add(1)
		return nil, false, nil
	}
	if err := conn.QueryRow(ctx, sql, args...).Scan(&data); err != nil {
		return nil, false, fmt.Errorf("tile on the standby: %w", err)
	}
	s.readStats.fromStandby.Add(1)
	return data, true, nil
}

// ReadStats counts tiles made on the standby, and those made on the
// primary because the standby had not replayed the latest change heard of.
func (s *Service) ReadStats() (fromStandby, fellBack uint64) {
	return s.readStats.fromStandby.Load(), s.readStats.fellBack.Load()
}
