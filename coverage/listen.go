package coverage

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"
)

// Channel is where migrations/400_coverage.sql's triggers announce a
// change (after commit, in commit order) to any table coverage reads.
const Channel = "riskmap_coverage"

// Listen follows the change notifications of every writer of the database
// (this replica, others, QGIS, psql) until ctx ends, reconnecting when the
// connection drops. While it listens, the data version cached results are
// keyed by is a counter bumped by each notification: free to read. Without
// it (before the first LISTEN, or while reconnecting) the version is
// computed from the tables (riskmap_coverage_version()), which costs a scan.
//
// Reading the counter before the answer's snapshot is taken keeps the
// cache exact: a change committed before the snapshot but notified after
// the read bumps the counter later, so the result is recomputed; nothing
// committed after the read can be in the snapshot without bumping it.
func (s *Service) Listen(ctx context.Context, connect func(context.Context) (*pgx.Conn, error)) error {
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			s.live.Store(false)
			return connect(ctx)
		},
		LogError: func(ctx context.Context, err error) {
			s.live.Store(false)
			if ctx.Err() == nil {
				s.logger().Warn("coverage: change notifications interrupted; results are keyed by the tables' content until they resume", "err", err)
			}
		},
		ReconnectDelay: time.Second,
	}
	l.Handle(Channel, notices{s})
	defer s.live.Store(false)
	err := l.Listen(ctx)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

type notices struct{ s *Service }

func (n notices) HandleNotification(ctx context.Context, msg *pgconn.Notification, conn *pgx.Conn) error {
	if err := n.heard(ctx, conn); err != nil {
		return err
	}
	if nonce, ok := strings.CutPrefix(msg.Payload, syncPrefix); ok {
		n.s.barriers.Release(nonce)
		return nil
	}
	n.s.generation.Add(1)
	return nil
}

// syncPrefix marks a Sync barrier's payload (table names are the others).
const syncPrefix = "sync:"

// syncTimeout bounds how long Sync waits for its barrier.
const syncTimeout = 5 * time.Second

// Sync returns once every change committed before it was called has moved
// this replica's data version, so an answer or a coverage tile asked for
// after a write was answered reflects the write. It sends a barrier
// notification and waits for the listener to see it: notifications arrive
// in commit order. If the barrier does not come back in time, the version
// moves anyway (everything cached is recomputed).
func (s *Service) Sync(ctx context.Context) error {
	if !s.live.Load() {
		return nil // versions come from the tables themselves
	}
	back, err := s.barriers.Wait(ctx, s.pool, Channel, func(nonce string) string { return syncPrefix + nonce }, syncTimeout)
	if back {
		return nil
	}
	if err == nil && ctx.Err() == nil {
		s.logger().Warn("coverage: sync barrier did not return in time; cached answers dropped")
	}
	s.generation.Add(1)
	if err != nil {
		return fmt.Errorf("coverage: sync: %w", err)
	}
	return nil
}

// HandleBacklog runs once the channel is listened to on a new connection:
// changes made while not listening are unknown, so the counter moves on.
func (n notices) HandleBacklog(ctx context.Context, _ string, conn *pgx.Conn) error {
	if err := n.heard(ctx, conn); err != nil {
		return err
	}
	n.s.generation.Add(1)
	n.s.live.Store(true)
	return nil
}

// heard raises the reads' watermark past the change just heard of, before
// the data version moves, so that an answer computed on the standby for
// the new version has the change (postgres.Reads). If it cannot, versions
// come from the tables until the connection is made again.
func (n notices) heard(ctx context.Context, conn *pgx.Conn) error {
	if err := n.s.reads.Heard(ctx, conn); err != nil {
		n.s.live.Store(false)
		_ = conn.Close(ctx)
		return fmt.Errorf("coverage: %w", err)
	}
	return nil
}

// Live reports whether change notifications are being followed.
func (s *Service) Live() bool { return s.live.Load() }

// liveVersion is the data version while notifications are followed.
func (s *Service) liveVersion() string {
	return "g" + strconv.FormatUint(s.generation.Load(), 10) + "@" + s.instance
}

// version is the data version results are cached under (see Listen).
func (s *Service) version(ctx context.Context, tx pgx.Tx) (string, error) {
	if st, ok := tx.(*snapshotTx); ok {
		if st.live {
			return st.version, nil
		}
	} else if s.live.Load() {
		return s.liveVersion(), nil
	}
	var v string
	if err := tx.QueryRow(ctx, "SELECT riskmap_coverage_version()").Scan(&v); err != nil {
		return "", fmt.Errorf("coverage: data version: %w", err)
	}
	return v, nil
}
