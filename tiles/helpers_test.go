package tiles

import (
	"context"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"riskmap"
)

// startService returns a service over pool with a cache of cacheBytes whose
// listener runs (on connections of its own) until the test ends.
func startService(t testing.TB, pool *pgxpool.Pool, cacheBytes int64) *Service {
	t.Helper()
	s := NewService(pool, Options{CacheBytes: cacheBytes, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	cfg := pool.Config().ConnConfig
	go func() {
		defer close(done)
		_ = s.Listen(ctx, func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfg.Copy()) })
	}()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, "the listener to go live", s.Live)
	return s
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mercator projects lon/lat to EPSG:3857.
func mercator(lon, lat float64) (float64, float64) {
	x := lon * worldHalf / 180
	y := math.Log(math.Tan((90+lat)*math.Pi/360)) * worldHalf / math.Pi
	return x, y
}

// tileAt is the tile of zoom z holding lon/lat.
func tileAt(z int, lon, lat float64) TileID {
	x, y := mercator(lon, lat)
	n := float64(int(1) << z)
	return TileID{Z: z, X: int((x + worldHalf) / (2 * worldHalf) * n), Y: int((worldHalf - y) / (2 * worldHalf) * n)}
}

// tileCoords is where lon/lat falls in tile t's coordinates (0..extent).
func tileCoords(t TileID, lon, lat float64) orb.Point {
	x, y := mercator(lon, lat)
	b := t.bounds()
	k := extent / (b[2] - b[0])
	return orb.Point{math.Round((x - b[0]) * k), math.Round((b[3] - y) * k)}
}

// cachedForAll says whether s's cache holds tile id of layer made for the
// scope of everything, by s's own cache key (scope numbers are per Service).
func cachedForAll(s *Service, layer string, id TileID) bool {
	return s.cache.contains(s.key(riskmap.Scope{All: true}, s.index[layer], id))
}

func mustTile(t testing.TB, s *Service, scope riskmap.Scope, layer string, id TileID) Tile {
	t.Helper()
	tile, err := s.Tile(context.Background(), scope, layer, id)
	if err != nil {
		t.Fatalf("tile %s/%s: %v", layer, id, err)
	}
	return tile
}
