package tiles

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Tiles from a standby (Options.Reads), with the freshness rule: a tile is
// made on the standby only once it has replayed every change this replica
// has heard of, else on the primary (postgres.Reads). The listener, on
// each change notification (and each Sync barrier), raises the reads'
// watermark to the primary's WAL position at that moment, which is past
// the change's commit (a NOTIFY is delivered after its commit), before it
// drops the tiles the change met. So neither the cache nor a client after
// its own write (the API syncs before answering a write) ever sees a tile
// older than a change the replica has heard of.

// noteChange raises the watermark after a notification, on the listening
// connection. If the position cannot be read, tiles are made on the
// primary until it can: a refill from the standby could miss the change.
func (s *Service) noteChange(ctx context.Context, conn *pgx.Conn) {
	if s.reads == nil || !s.reads.HasStandby() || conn == nil {
		return
	}
	s.standbyOK.Store(s.reads.Heard(ctx, conn) == nil)
}

// ReadStats counts tiles made on the standby, and those made on the
// primary because the standby had not replayed the latest change heard
// of, was away, or the latest change was not placed yet.
func (s *Service) ReadStats() (fromStandby, fellBack uint64) {
	if s.reads == nil {
		return 0, 0
	}
	c := s.reads.Counts()["tiles"]
	if c == nil {
		return 0, 0
	}
	return c.Standby.Load(), c.Behind.Load() + c.Away.Load() + c.Unknown.Load()
}
