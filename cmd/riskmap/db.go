package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/localdb"
	"riskmap/postgres"
)

func runDB(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: riskmap db start|stop|status")
	}
	c := localdb.Config()
	switch args[0] {
	case "start":
		if err := c.Start(ctx); err != nil {
			return err
		}
		fmt.Println(c.Status(ctx))
		return nil
	case "stop":
		if err := c.Stop(ctx); err != nil {
			return err
		}
		fmt.Println("stopped")
		return nil
	case "status":
		fmt.Println(c.Status(ctx))
		return nil
	}
	return fmt.Errorf("unknown db command %q: want start, stop or status", args[0])
}

// databaseURL is DATABASE_URL, or the local cluster, started if need be.
func databaseURL(ctx context.Context, logger *slog.Logger) (string, error) {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u, nil
	}
	c := localdb.Config()
	logger.Info("no DATABASE_URL: using the local cluster", "dir", c.Dir, "port", c.Port)
	if err := c.Start(ctx); err != nil {
		return "", err
	}
	return c.URL(), nil
}

// openMigrated connects and applies pending migrations.
func openMigrated(ctx context.Context, logger *slog.Logger) (*pgxpool.Pool, error) {
	url, err := databaseURL(ctx, logger)
	if err != nil {
		return nil, err
	}
	if err := postgres.Migrate(ctx, url); err != nil {
		return nil, err
	}
	// the API's pool; pgx's default is max(4, CPUs). A pool_max_conns in the
	// URL would reach PostgreSQL itself during migrate and pg_dump, so the
	// size is its own setting.
	conns := 0
	if v := os.Getenv("RISKMAP_DB_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, fmt.Errorf("RISKMAP_DB_CONNS: want a whole number from 1 to 1000, got %q", v)
		}
		conns = n
	}
	return postgres.Open(ctx, url, int32(conns))
}

func runMigrate(ctx context.Context, logger *slog.Logger, args []string) error {
	if len(args) != 0 {
		return fmt.Errorf("usage: riskmap migrate")
	}
	url, err := databaseURL(ctx, logger)
	if err != nil {
		return err
	}
	if err := postgres.Migrate(ctx, url); err != nil {
		return err
	}
	fmt.Println("migrations applied")
	return nil
}
