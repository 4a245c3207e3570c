package main

import (
	"context"
	_ "embed"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap/localdb"
	"riskmap/migrations"
)

// scratchDB is the benchmark's own database: created, loaded and (without
// -keep) dropped by it, never anyone else's.
const scratchDB = "scratch_tiles_bench"

//go:embed load.sql
var loadSQL string

// prepare returns the URL of a scratch database holding the benchmark data
// in riskmap's tables.
func prepare(ctx context.Context, cfg config) (string, func(), error) {
	c := localdb.Config()
	if err := c.Start(ctx); err != nil {
		return "", nil, err
	}
	admin, err := pgx.Connect(ctx, c.DatabaseURL("postgres"))
	if err != nil {
		return "", nil, err
	}
	defer admin.Close(ctx)
	url := c.DatabaseURL(scratchDB)
	drop := func() {
		a, err := pgx.Connect(context.Background(), c.DatabaseURL("postgres"))
		if err != nil {
			return
		}
		defer a.Close(context.Background())
		_, _ = a.Exec(context.Background(), "DROP DATABASE IF EXISTS "+scratchDB+" WITH (FORCE)")
	}
	cleanup := func() {
		if !cfg.keep {
			drop()
		}
	}
	if cfg.reuse {
		var exists bool
		if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", scratchDB).Scan(&exists); err != nil {
			return "", nil, err
		}
		if exists && loaded(ctx, url) {
			log.Printf("reusing %s", scratchDB)
			return url, cleanup, migrate(ctx, url)
		}
	}
	drop()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+scratchDB); err != nil {
		return "", nil, err
	}
	if err := migrate(ctx, url); err != nil {
		return "", nil, err
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(ctx)
	// dataset.sql starts with DROP TABLE IF EXISTS grids, risk_points, ...
	// CASCADE: with search_path bench, public those names must resolve in
	// bench, or it would drop riskmap's own tables in public
	if _, err := conn.Exec(ctx, `CREATE SCHEMA bench;
		CREATE TABLE bench.risk_points (); CREATE TABLE bench.hazard_sources (); CREATE TABLE bench.stations ();
		CREATE TABLE bench.depots (); CREATE TABLE bench.grids (); CREATE TABLE bench.townships (); CREATE TABLE bench.town_centers ()`); err != nil {
		return "", nil, err
	}
	t0 := time.Now()
	log.Printf("loading bench/data/dataset.sql into %s (schema bench) with psql", scratchDB)
	psql := exec.CommandContext(ctx, "psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", filepath.Join(cfg.root, "bench", "data", "dataset.sql"))
	psql.Env = append(os.Environ(), "PGOPTIONS=-c search_path=bench,public")
	if out, err := psql.CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("psql dataset.sql: %w\n%s", err, out)
	}
	log.Printf("data set generated in %s; moving it into riskmap's tables", time.Since(t0).Round(time.Second))
	t0 = time.Now()
	if _, err := conn.Exec(ctx, loadSQL); err != nil {
		return "", nil, fmt.Errorf("load.sql: %w", err)
	}
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		return "", nil, err
	}
	log.Printf("loaded in %s", time.Since(t0).Round(time.Second))
	return url, cleanup, nil
}

func migrate(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis"); err != nil {
		return err
	}
	return migrations.Migrate(ctx, conn)
}

func loaded(ctx context.Context, url string) bool {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return false
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, "SELECT count(*) FROM risk_points").Scan(&n)
	return err == nil && n == 300000
}
