package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"riskmap/internal/dbtest"
	"riskmap/postgres"
)

func TestImportLayerRoadsStoresTheNetworkAndExitsOneOnRejects(t *testing.T) {
	url := dbtest.Clone(t, dbtest.Empty)
	t.Setenv("DATABASE_URL", url)
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("roads.geojson", `{"type":"FeatureCollection","features":[
	 {"type":"Feature","properties":{"class":"primary"},"geometry":{"type":"LineString","coordinates":[[115.30,22.78],[115.31,22.78]]}},
	 {"type":"Feature","properties":{"class":"lane"},"geometry":{"type":"LineString","coordinates":[[115.31,22.78],[115.31,22.79]]}}]}`)
	// an unknown class refuses the file...
	if err := runImport(ctx, logger, []string{"--layer", "roads", good}); err == nil || errors.Is(err, errRejected) {
		t.Fatalf("unknown class: %v, want the file refused", err)
	}
	// ...is skipped with --skip-invalid (exit 1: something was rejected)...
	if err := runImport(ctx, logger, []string{"--layer", "roads", "--skip-invalid", good}); !errors.Is(err, errRejected) {
		t.Fatalf("--skip-invalid: %v, want rows rejected", err)
	}
	// ...and imported once it has a speed
	if err := runImport(ctx, logger, []string{"--layer", "roads", "--speeds", "lane=12", "--append", good}); err != nil {
		t.Fatalf("with a speed: %v", err)
	}
	pool, err := postgres.Open(ctx, url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var edges, vertices int
	if err := pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM roads), (SELECT count(*) FROM road_vertices)").Scan(&edges, &vertices); err != nil {
		t.Fatal(err)
	}
	if edges != 3 || vertices != 3 {
		t.Errorf("%d edges on %d junctions, want the primary twice (appended) and the lane: 3 on 3", edges, vertices)
	}
}
