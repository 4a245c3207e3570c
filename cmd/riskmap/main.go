// Command riskmap is the emergency layer of the community risk map: the API,
// tiles and web app, the importers, the demo city and the local database.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `riskmap — 应急风险一张图 (emergency risk map)

usage:
  riskmap demo    [--addr 127.0.0.1:8080]   start local PostGIS if needed, migrate, load the demo city once, serve
  riskmap serve   [--addr HOST:PORT]        serve the API, tiles and web app
  riskmap migrate                           apply all database migrations (idempotent)
  riskmap import --layer LAYER [--crs wgs84|cgcs2000|gcj02|bd09|EPSG:N] [--encoding utf-8|gbk] [--skip-invalid] FILE
                                            GeoJSON, CSV, zipped Shapefile or GeoPackage; prints a report; exit 1 if rows were rejected
  riskmap user add --username U --role ROLE [--area CODE]... [--grid CODE]... --password-stdin
  riskmap db start|stop|status              the project-managed local PostgreSQL+PostGIS cluster
  riskmap backup --out DIR                  dump the database and copy the attachment store
  riskmap restore --from DIR                load a backup (replaces what the database holds)

environment:
  DATABASE_URL    PostgreSQL URL; unset = the local cluster (RISKMAP_PGDIR, RISKMAP_PGPORT)
  RISKMAP_ADDR    listen address (default 127.0.0.1:8080)
`

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, logger, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "riskmap:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, logger *slog.Logger, args []string) error {
	if len(args) == 0 {
		fmt.Print(usage)
		return fmt.Errorf("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "demo":
		return runDemo(ctx, logger, rest)
	case "serve":
		return runServe(ctx, logger, rest)
	case "import":
		return runImport(ctx, logger, rest)
	case "migrate":
		return runMigrate(ctx, logger, rest)
	case "user":
		return runUser(ctx, logger, rest, os.Stdin)
	case "backup", "restore":
		return runBackup(ctx, logger, cmd, rest)
	case "db":
		return runDB(ctx, rest)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	default:
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}
