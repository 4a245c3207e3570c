package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/cases"
	"riskmap/coverage"
	"riskmap/postgres"
	"riskmap/tiles"
)

// readFlags name a hot standby for read-only traffic.
type readFlags struct {
	url     string
	conns   int
	maxWait time.Duration
}

func (f *readFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "read-database-url", os.Getenv("RISKMAP_READ_DATABASE_URL"),
		"a hot standby for read-only traffic (tile misses, lists, OGC items, exports, statistics, coverage), used when it has replayed every change this replica made or heard of (env RISKMAP_READ_DATABASE_URL; default none: everything on DATABASE_URL)")
	fs.IntVar(&f.conns, "read-db-conns", 2*tiles.DefaultConns(), "database connections to the standby")
	fs.DurationVar(&f.maxWait, "read-max-wait", 20*time.Millisecond, "how long a read waits for a standby behind the latest change to catch up before the primary answers it")
}

// readChannels are the change notifications of everything read through
// the standby: a change heard on any of them raises the position the
// standby must have replayed (postgres.Reads). A new table read through
// the standby must notify one of them.
var readChannels = []string{tiles.Channel, cases.Channel, coverage.Channel}

// wire returns the reads the stores are given: on the standby when one is
// named, else on pool; it follows the change notifications until ctx
// ends. The returned func closes the standby's pool.
func (f *readFlags) wire(ctx context.Context, logger *slog.Logger, pool *pgxpool.Pool) (*postgres.Reads, func(), error) {
	if f.url == "" {
		return postgres.PrimaryReads(pool), func() {}, nil
	}
	if f.conns < 1 || f.maxWait < 0 || f.maxWait > 10*time.Second {
		return nil, nil, fmt.Errorf("--read-db-conns must be at least 1, --read-max-wait in [0, 10s]")
	}
	standby, err := postgres.OpenStandby(ctx, f.url, int32(f.conns))
	if err != nil {
		return nil, nil, fmt.Errorf("--read-database-url: %w", err)
	}
	reads := postgres.NewReads(pool, postgres.ReadOptions{Standby: standby, MaxWait: f.maxWait, Logger: logger})
	conn := pool.Config().ConnConfig
	go func() {
		err := reads.Listen(ctx, func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, conn.Copy()) }, readChannels...)
		if err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("reads: change notifications stopped; every read on the primary", "err", err)
		}
	}()
	logger.Info("reads on a hot standby when it is fresh", "max_wait", f.maxWait)
	return reads, standby.Close, nil
}
