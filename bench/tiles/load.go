package main

import (
	"context"
	"log"
	"time"

	benchdata "riskmap/bench/data"
	"riskmap/localdb"
)

// scratchDB is the benchmark's own database: created, loaded and (without
// -keep) dropped by it, never anyone else's.
const scratchDB = "scratch_tiles_bench"

// prepare returns the URL of a scratch database holding the benchmark data
// in riskmap's tables.
func prepare(ctx context.Context, cfg config) (string, func(), error) {
	c := localdb.Config()
	if err := c.Start(ctx); err != nil {
		return "", nil, err
	}
	adminURL, url := c.DatabaseURL("postgres"), c.DatabaseURL(scratchDB)
	cleanup := func() {
		if !cfg.keep {
			_ = benchdata.Drop(context.Background(), adminURL, scratchDB)
		}
	}
	if cfg.reuse && benchdata.Loaded(ctx, url) {
		log.Printf("reusing %s", scratchDB)
		return url, cleanup, benchdata.Migrate(ctx, url)
	}
	t0 := time.Now()
	log.Printf("loading bench/data/dataset.sql into %s and moving it into riskmap's tables", scratchDB)
	if err := benchdata.Create(ctx, cfg.root, adminURL, url, scratchDB); err != nil {
		return "", nil, err
	}
	log.Printf("loaded in %s", time.Since(t0).Round(time.Second))
	return url, cleanup, nil
}
