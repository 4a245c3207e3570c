package tiles

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/internal/mvttest"
)

// dailyClock is a clock the test turns.
type dailyClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *dailyClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *dailyClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// patrolState reads the due date and patrol state of point id in a tile.
func patrolState(t *testing.T, data []byte, id int64) (dueOn, state string) {
	t.Helper()
	l := mvttest.Decode(t, data)["risk_points"]
	if l == nil {
		t.Fatal("no risk_points layer")
	}
	for _, f := range l.Features {
		if f.ID == float64(id) {
			d, _ := f.Properties["due_on"].(string)
			s, _ := f.Properties["patrol"].(string)
			return d, s
		}
	}
	t.Fatalf("point %d not in the tile", id)
	return "", ""
}

// A point's patrol state depends on today's date, not only on writes: a
// tile cached on the day before it turns overdue is not served on the day
// it does (the cache keys daily tiles by the day), while the same day's
// requests are answered from the cache.
func TestATileCachedYesterdayNeverSaysNotOverdueToday(t *testing.T) {
	pool := freshDB(t)
	clock := &dailyClock{}
	clock.set(time.Date(2024, 3, 1, 12, 0, 0, 0, shanghai))
	s := NewService(pool, Options{CacheBytes: 16 << 20, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clock.now})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	cfg := pool.Config().ConnConfig
	go func() {
		defer close(done)
		_ = s.Listen(ctx, func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfg.Copy()) })
	}()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, "the listener to go live", s.Live)

	id := addPoint(t, pool, "P", 1, 115.10, 23.00)
	// patrolled on 23 February: red points are due 7 days later, 1 March
	if _, err := pool.Exec(context.Background(), "UPDATE risk_points SET last_inspection = '2024-02-23' WHERE id = $1", id); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	all := riskmap.Scope{All: true}
	tile := tileAt(15, 115.10, 23.00)
	for _, step := range []struct {
		clock        time.Time
		state        string
		cachedBefore bool
	}{
		{time.Date(2024, 2, 25, 9, 0, 0, 0, shanghai), "ok", false},
		{time.Date(2024, 2, 26, 9, 0, 0, 0, shanghai), "ok", false},  // four days left (2024 is a leap year)
		{time.Date(2024, 2, 27, 9, 0, 0, 0, shanghai), "due", false}, // three days left
		{time.Date(2024, 3, 1, 23, 59, 59, 0, shanghai), "due", false},
		{time.Date(2024, 3, 2, 0, 0, 0, 0, shanghai), "overdue", false}, // 16:00 UTC on 1 March
		{time.Date(2024, 3, 2, 18, 0, 0, 0, shanghai), "overdue", true},
	} {
		clock.set(step.clock)
		if cached := cachedForAll(s, "risk_points", tile); cached != step.cachedBefore {
			t.Fatalf("at %s the cache holds a tile for the day: %v, want %v (a tile of another day is never served)", step.clock, cached, step.cachedBefore)
		}
		got := mustTile(t, s, all, "risk_points", tile)
		due, state := patrolState(t, got.Data, id)
		if due != "2024-03-01" || state != step.state {
			t.Fatalf("at %s: due_on %s, patrol %s; want 2024-03-01, %s", step.clock, due, state, step.state)
		}
		if again := mustTile(t, s, all, "risk_points", tile); !again.Cached {
			t.Fatalf("at %s the tile was not cached", step.clock)
		}
	}
	// the same in the tile of every layer
	clock.set(time.Date(2024, 2, 20, 9, 0, 0, 0, shanghai))
	if _, state := patrolState(t, mustTile(t, s, all, All, tile).Data, id); state != "ok" {
		t.Fatalf("all layers on 20 February: %s", state)
	}
	clock.set(time.Date(2024, 3, 5, 9, 0, 0, 0, shanghai))
	if _, state := patrolState(t, mustTile(t, s, all, All, tile).Data, id); state != "overdue" {
		t.Fatalf("all layers on 5 March: %s", state)
	}
}
