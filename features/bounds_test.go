package features_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap/features"
	"riskmap/internal/dbtest"
	"riskmap/tiles"
)

// The city's extent is read once and remembered while the tile listener
// follows the areas: a change to areas, and only that, makes it read again.
func TestTheCityExtentIsRememberedUntilTheAreasChange(t *testing.T) {
	pool := dbtest.TinyCity(t)
	ctx := context.Background()
	fs := features.NewStore(pool)
	ts := tiles.NewService(pool, tiles.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Followers: []tiles.Follower{fs}})
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	cfg := pool.Config().ConnConfig
	go func() {
		defer close(done)
		_ = ts.Listen(lctx, func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfg.Copy()) })
	}()
	t.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(10 * time.Second); !ts.Live(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the tile listener did not start")
		}
	}
	east := func() float64 {
		t.Helper()
		b, err := fs.CityBounds(ctx)
		if err != nil || b == nil {
			t.Fatalf("city bounds: %v %v", b, err)
		}
		return b.MaxLon
	}
	// the tiny city spans lon 115.0–117.0, padded by 0.1°
	if got := east(); got != 117.1 {
		t.Fatalf("east edge %v, want 117.1", got)
	}
	grow := func(lon float64, quiet bool) {
		t.Helper()
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if quiet { // past the triggers, so nobody is told
				if _, err := tx.Exec(ctx, "SET LOCAL session_replication_role = replica"); err != nil {
					return err
				}
			}
			_, err := tx.Exec(ctx, "UPDATE areas SET geom = ST_Multi(ST_MakeEnvelope(115.0, 22.5, $1, 23.5, 4326)) WHERE level = 'city'", lon)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := ts.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	grow(117.5, true)
	if got := east(); got != 117.1 {
		t.Errorf("after a change nobody was told of: east edge %v, want the remembered 117.1", got)
	}
	if _, err := pool.Exec(ctx, "UPDATE grids SET name = name || '′'"); err != nil {
		t.Fatal(err)
	}
	if err := ts.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := east(); got != 117.1 {
		t.Errorf("after a change to grids: east edge %v, want the remembered 117.1", got)
	}
	grow(118, false)
	if got := east(); got != 118.1 {
		t.Errorf("after a change to areas: east edge %v, want 118.1", got)
	}
}
