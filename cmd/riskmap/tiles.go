package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/api"
	"riskmap/postgres"
	"riskmap/tiles"
)

// tileFlags configure the vector tiles.
type tileFlags struct {
	cacheMB int64
	conns   int
}

func (f *tileFlags) register(fs *flag.FlagSet) {
	fs.Int64Var(&f.cacheMB, "tile-cache-mb", 256, "tile cache size in MiB (0 disables it)")
	fs.IntVar(&f.conns, "tile-db-conns", tiles.DefaultConns(), "database connections for tile queries (a pool of their own)")
}

// wire gives the server its tile service, on a connection pool of its own
// (a storm of tile requests does not queue the API's writes behind it;
// misses go to the standby through reads when it is fresh), and follows the
// database's change notifications until ctx ends (on a connection of its
// own, reconnecting). The returned func closes the pool.
func (f *tileFlags) wire(ctx context.Context, logger *slog.Logger, pool *pgxpool.Pool, reads *postgres.Reads, srv *api.Server) (func(), error) {
	if f.cacheMB < 0 || f.conns < 1 {
		return nil, fmt.Errorf("--tile-cache-mb must be 0 (off) or more, --tile-db-conns at least 1")
	}
	cfg := pool.Config().Copy()
	cfg.MaxConns = int32(f.conns)
	tilePool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("tile connection pool: %w", err)
	}
	// the city's extent (features) follows the areas through the same listener
	svc := tiles.NewService(tilePool, tiles.Options{CacheBytes: f.cacheMB << 20, Logger: logger, Reads: reads.For("tiles", tilePool),
		Followers: []tiles.Follower{srv.Features}})
	conn := pool.Config().ConnConfig
	go func() {
		err := svc.Listen(ctx, func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, conn.Copy()) })
		if err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("tiles: change notifications stopped", "err", err)
		}
	}()
	srv.Tiles = svc
	return tilePool.Close, nil
}
