package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

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
	return postgres.Open(ctx, url, 0)
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
