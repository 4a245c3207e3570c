package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/localdb"
	"riskmap/postgres"
)

func runDB(ctx context.Context, args []string) error {
	const usage = "usage: riskmap db start|stop|status [--standby [--synchronous]] | riskmap db promote"
	if len(args) < 1 {
		return fmt.Errorf(usage)
	}
	fs := flag.NewFlagSet("db "+args[0], flag.ContinueOnError)
	standby := fs.Bool("standby", false, "the local cluster's streaming standby (beside it, on the next port)")
	sync := fs.Bool("synchronous", false, "with start --standby: commits wait for the standby (no acknowledged write lost in a failover)")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		return fmt.Errorf(usage)
	}
	c := localdb.Config()
	target := c
	if *standby {
		target = c.Standby()
	}
	switch args[0] {
	case "start":
		if err := c.Start(ctx); err != nil {
			return err
		}
		if *standby {
			if err := c.StartStandby(ctx, target); err != nil {
				return err
			}
			if err := c.SetSynchronous(ctx, *sync); err != nil {
				return err
			}
			fmt.Printf("primary %s\nstandby %s\nmulti-host DATABASE_URL: host=%s,%s port=%d,%d user=%s dbname=%s sslmode=disable target_session_attrs=read-write\n",
				c.Status(ctx), target.Status(ctx), c.SocketDir(), target.SocketDir(), c.Port, target.Port, c.Role, c.Database)
			return nil
		}
		fmt.Println(c.Status(ctx))
		return nil
	case "stop":
		if err := target.Stop(ctx); err != nil {
			return err
		}
		fmt.Println("stopped")
		return nil
	case "status":
		fmt.Println(target.Status(ctx))
		return nil
	case "promote":
		// the standby becomes the primary; the old primary must not come
		// back as one (stop it, or make it a standby of the new one)
		if err := c.Standby().Promote(ctx); err != nil {
			return err
		}
		fmt.Println("promoted:", c.Standby().Status(ctx))
		return nil
	}
	return fmt.Errorf("unknown db command %q: %s", args[0], usage)
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
