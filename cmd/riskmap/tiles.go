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
	"riskmap/tiles"
)

// tileFlags configure the vector tiles.
type tileFlags struct {
	cacheMB int64
}

func (f *tileFlags) register(fs *flag.FlagSet) {
	fs.Int64Var(&f.cacheMB, "tile-cache-mb", 256, "tile cache size in MiB (0 disables it)")
}

// wire gives the server its tile service and follows the database's change
// notifications until ctx ends (on a connection of its own, reconnecting).
func (f *tileFlags) wire(ctx context.Context, logger *slog.Logger, pool *pgxpool.Pool, srv *api.Server) error {
	if f.cacheMB < 0 {
		return fmt.Errorf("--tile-cache-mb must be 0 (off) or more")
	}
	svc := tiles.NewService(pool, tiles.Options{CacheBytes: f.cacheMB << 20, Logger: logger})
	cfg := pool.Config().ConnConfig
	go func() {
		err := svc.Listen(ctx, func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfg.Copy()) })
		if err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("tiles: change notifications stopped", "err", err)
		}
	}()
	srv.Tiles = svc
	return nil
}
