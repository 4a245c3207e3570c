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
	"riskmap/coverage"
	"riskmap/postgres"
)

// coverageFlags configure the planners' coverage answers.
type coverageFlags struct {
	accessSpeed float64
	norms       string
	listLimit   int
	tileCacheMB int
	expiryDays  int // from --expiry-warning-days (editingFlags)
}

func (f *coverageFlags) register(fs *flag.FlagSet) {
	d := coverage.DefaultConfig()
	fs.Float64Var(&f.accessSpeed, "access-speed-kmh", d.AccessSpeedKmh, "speed of the straight line between a point and the road network, for travel-time coverage")
	fs.StringVar(&f.norms, "depot-norms", "", "depot stock norms per 1,000 residents changed from docs/domain.md's, e.g. tents=3,sandbags=250 (a new item: helmets=5:顶)")
	fs.IntVar(&f.listLimit, "coverage-list-limit", d.ListLimit, "uncovered risk points and hazard sources listed by default")
	fs.IntVar(&f.tileCacheMB, "coverage-tile-cache-mb", int(d.TileCacheBytes>>20), "memory for cached coverage tiles, in MB (0: no cache)")
}

// wire gives the server its coverage service and follows the database's
// change notifications (which keep its cached results exact) until ctx ends.
func (f *coverageFlags) wire(ctx context.Context, logger *slog.Logger, pool *pgxpool.Pool, reads *postgres.Reads, srv *api.Server) error {
	if f.accessSpeed <= 0 || f.accessSpeed > 200 || f.listLimit < 1 || f.listLimit > coverage.MaxListLimit || f.tileCacheMB < 0 {
		return fmt.Errorf("--access-speed-kmh must be in (0, 200], --coverage-list-limit in [1, %d] and --coverage-tile-cache-mb ≥ 0", coverage.MaxListLimit)
	}
	cfg := coverage.Config{AccessSpeedKmh: f.accessSpeed, ListLimit: f.listLimit, Logger: logger, TileCacheBytes: int64(f.tileCacheMB) << 20,
		ExpiryWarningDays: f.expiryDays, Reads: reads}
	if f.tileCacheMB == 0 {
		cfg.TileCacheBytes = -1 // off (zero would mean the default)
	}
	if f.norms != "" {
		norms, err := coverage.ParseNorms(f.norms)
		if err != nil {
			return fmt.Errorf("--depot-norms: %w", err)
		}
		cfg.Norms = norms
	}
	svc := coverage.NewService(pool, cfg)
	conn := pool.Config().ConnConfig
	go func() {
		err := svc.Listen(ctx, func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, conn.Copy()) })
		if err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("coverage: change notifications stopped", "err", err)
		}
	}()
	srv.Coverage = svc
	return nil
}
