package tiles

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"riskmap"
	"riskmap/internal/dbtest"
	"riskmap/internal/mvttest"
)

const townshipA = "441502001000"

func freshDB(t *testing.T) *pgxpool.Pool {
	t.Helper()
	return dbtest.TileCity(t)
}

func addPoint(t testing.TB, pool *pgxpool.Pool, name string, level int, lon, lat float64) int64 {
	t.Helper()
	var id int64
	err := pool.QueryRow(context.Background(), `INSERT INTO risk_points (name, category, risk_level, geom)
		VALUES ($1, 'flood', $2, ST_SetSRID(ST_Point($3, $4), 4326)) RETURNING id`, name, level, lon, lat).Scan(&id)
	if err != nil {
		t.Fatalf("insert %s: %v", name, err)
	}
	return id
}

func movePoint(t testing.TB, pool *pgxpool.Pool, id int64, lon, lat float64) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), "UPDATE risk_points SET geom = ST_SetSRID(ST_Point($2, $3), 4326) WHERE id = $1", id, lon, lat); err != nil {
		t.Fatalf("move %d: %v", id, err)
	}
}

func pointBox(lon, lat float64) rect {
	x, y := mercator(lon, lat)
	return rect{x, y, x, y}
}

func TestAChangeDropsExactlyTheTilesItMeetsAtEveryZoom(t *testing.T) {
	pool := freshDB(t)
	s := startService(t, pool, 64<<20)
	ctx := context.Background()
	p := addPoint(t, pool, "P", 1, 115.30, 23.00)
	addPoint(t, pool, "Q", 2, 115.80, 22.60)
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	scopes := []riskmap.Scope{{All: true}, {Areas: []string{townshipA}}}
	type cached struct {
		key   cacheKey
		layer string
		scope riskmap.Scope
		reach rect
	}
	var keys []cached
	for z := 0; z <= 16; z++ {
		for _, at := range [][2]float64{{115.30, 23.00}, {115.80, 22.60}, {115.02, 23.45}} {
			id := tileAt(z, at[0], at[1])
			for _, layer := range []string{"risk_points", "grids", All} {
				for _, sc := range scopes {
					mustTile(t, s, sc, layer, id)
					keys = append(keys, cached{s.key(sc, s.index[layer], id), layer, sc, id.reach()})
				}
			}
		}
	}
	for _, k := range keys {
		if !s.cache.contains(k.key) {
			t.Fatalf("%v was not cached", k.key)
		}
	}

	movePoint(t, pool, p, 115.301, 23.002)
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	old, moved := pointBox(115.30, 23.00), pointBox(115.301, 23.002)
	dropped, kept := 0, 0
	for _, k := range keys {
		meets := k.layer != "grids" && (k.reach.meets(old) || k.reach.meets(moved))
		if got := s.cache.contains(k.key); got == meets {
			t.Errorf("%s/%s scope %s: cached %v after the change, want %v", k.layer, k.key.tile, k.scope.Fingerprint(), got, !meets)
		}
		if meets {
			dropped++
		} else {
			kept++
		}
	}
	if dropped == 0 || kept == 0 {
		t.Fatalf("the test needs tiles on both sides: %d dropped, %d kept", dropped, kept)
	}
	// and what it serves now is what the database says
	fresh := NewService(pool, Options{})
	for _, k := range keys {
		got := mustTile(t, s, k.scope, k.layer, k.key.tile)
		want := mustTile(t, fresh, k.scope, k.layer, k.key.tile)
		if string(got.Data) != string(want.Data) {
			t.Errorf("%s/%s scope %s: cache serves a stale tile", k.layer, k.key.tile, k.scope.Fingerprint())
		}
	}
}

// findPoint returns the position of feature id in the risk_points layer.
func findPoint(t testing.TB, data []byte, id int64) (x, y float64, ok bool) {
	t.Helper()
	l := mvttest.Decode(t, data)["risk_points"]
	if l == nil {
		return 0, 0, false
	}
	for _, f := range l.Features {
		if pt, isPoint := f.Geometry.(orb.Point); isPoint && f.ID == float64(id) {
			return pt[0], pt[1], true
		}
	}
	return 0, 0, false
}

// inCells reports whether lon/lat falls in the cluster cells a tile draws:
// its own and the ring around them (cells are half-open: west and north
// edges included).
func inCells(id TileID, lon, lat float64) bool {
	x, y := mercator(lon, lat)
	r := id.reach()
	return x >= r[0] && x < r[2] && y > r[1] && y <= r[3]
}

func TestAWriteShowsInTheNextTileAtEveryZoom(t *testing.T) {
	pool := freshDB(t)
	s := startService(t, pool, 64<<20)
	fresh := NewService(pool, Options{})
	ctx := context.Background()
	p := addPoint(t, pool, "P", 1, 115.10, 23.40)
	addPoint(t, pool, "Q", 3, 115.70, 22.70)
	all := riskmap.Scope{All: true}
	from, to := [2]float64{115.10, 23.40}, [2]float64{115.90, 22.55} // into the other township
	for z := 0; z <= 18; z++ {
		for _, at := range [][2]float64{from, to} {
			mustTile(t, s, all, "risk_points", tileAt(z, at[0], at[1]))
			mustTile(t, s, all, All, tileAt(z, at[0], at[1]))
		}
	}
	movePoint(t, pool, p, to[0], to[1])
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for z := 0; z <= 18; z++ {
		for _, at := range [][2]float64{from, to} {
			id := tileAt(z, at[0], at[1])
			for _, layer := range []string{"risk_points", All} {
				got, want := mustTile(t, s, all, layer, id), mustTile(t, fresh, all, layer, id)
				if string(got.Data) != string(want.Data) {
					t.Errorf("z%d %s %s: stale tile after the write", z, layer, id)
				}
			}
		}
		if z > 13 { // single points: P is where it was moved to, and only there
			newTile, oldTile := tileAt(z, to[0], to[1]), tileAt(z, from[0], from[1])
			x, y, ok := findPoint(t, mustTile(t, s, all, "risk_points", newTile).Data, p)
			want := tileCoords(newTile, to[0], to[1])
			if !ok || x != want[0] || y != want[1] {
				t.Errorf("z%d: P at (%v, %v) found %v in %s, want (%v, %v)", z, x, y, ok, newTile, want[0], want[1])
			}
			if _, _, ok := findPoint(t, mustTile(t, s, all, "risk_points", oldTile).Data, p); ok {
				t.Errorf("z%d: P still shows in %s", z, oldTile)
			}
		} else { // clusters: the counts follow it
			for _, at := range [][2]float64{from, to} {
				id := tileAt(z, at[0], at[1])
				got := 0
				if ml := mvttest.Decode(t, mustTile(t, s, all, "risk_points", id).Data)["risk_points"]; ml != nil {
					for _, f := range ml.Features {
						got += int(f.Properties["point_count"].(float64))
					}
				}
				want := 0
				for _, pt := range [][2]float64{to, {115.70, 22.70}} {
					if inCells(id, pt[0], pt[1]) {
						want++
					}
				}
				if got != want {
					t.Errorf("z%d %s: clusters count %d points, want %d", z, id, got, want)
				}
			}
		}
	}
}

// The race itself, made to happen: a request reads the database before a
// write commits and tries to store its tile after the write's invalidation.
// The tile must not be stored, and the next request must show the write.
func TestATileReadBeforeAWriteIsNotCachedAfterIt(t *testing.T) {
	pool := freshDB(t)
	s := startService(t, pool, 64<<20)
	ctx := context.Background()
	p := addPoint(t, pool, "P", 2, 115.30, 23.00)
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	id := tileAt(16, 115.30, 23.00)
	queried, release := make(chan struct{}), make(chan struct{})
	s.beforeStore = func(string, TileID) {
		s.beforeStore = nil
		close(queried)
		<-release
	}
	done := make(chan Tile)
	go func() {
		tile, err := s.Tile(ctx, riskmap.Scope{All: true}, "risk_points", id)
		if err != nil {
			t.Error(err)
		}
		done <- tile
	}()
	<-queried // the old state is read
	movePoint(t, pool, p, 115.3001, 23.0001)
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	close(release) // now it tries to store it
	if x, _, _ := findPoint(t, (<-done).Data, p); x != tileCoords(id, 115.30, 23.00)[0] {
		t.Fatal("the racing request should have read the old state")
	}
	if cachedForAll(s, "risk_points", id) {
		t.Fatal("a tile read before the write was stored after it")
	}
	x, y, _ := findPoint(t, mustTile(t, s, riskmap.Scope{All: true}, "risk_points", id).Data, p)
	if want := tileCoords(id, 115.3001, 23.0001); x != want[0] || y != want[1] {
		t.Fatalf("after the write P shows at (%v, %v), want %v", x, y, want)
	}
}

// The same under load: readers hammer the tiles, a second writer keeps
// moving another point of them (so reads keep missing the cache and
// querying), and a writer moves P and reads right after each write.
func TestATileReadAfterAWriteNeverShowsTheOldStateUnderConcurrentReads(t *testing.T) {
	pool := freshDB(t)
	s := startService(t, pool, 64<<20)
	ctx := context.Background()
	spots := [2][2]float64{{115.3000, 23.0000}, {115.3008, 23.0006}} // both in one z16 tile
	p := addPoint(t, pool, "P", 2, spots[0][0], spots[0][1])
	z16 := tileAt(16, spots[0][0], spots[0][1])
	if z16 != tileAt(16, spots[1][0], spots[1][1]) {
		t.Fatal("the spots must share their z16 tile")
	}
	z14 := tileAt(14, spots[0][0], spots[0][1])
	all := riskmap.Scope{All: true}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var reads atomic.Int64
	for r := 0; r < 6; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				for _, q := range []struct {
					layer string
					id    TileID
				}{{"risk_points", z16}, {All, z14}, {"risk_points", tileAt(12, spots[0][0], spots[0][1])}} {
					if _, err := s.Tile(ctx, all, q.layer, q.id); err != nil {
						t.Error(err)
						return
					}
					reads.Add(1)
				}
			}
		}()
	}
	q := addPoint(t, pool, "Q", 3, 115.3004, 23.0003)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			if _, err := pool.Exec(ctx, "UPDATE risk_points SET geom = ST_SetSRID(ST_Point($2, $3), 4326) WHERE id = $1",
				q, 115.3004+float64(i%7)*0.00001, 23.0003); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	stale := 0
	const rounds = 60
	for i := 1; i <= rounds; i++ {
		at := spots[i%2]
		movePoint(t, pool, p, at[0], at[1])
		if err := s.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		for _, q := range []struct {
			layer string
			id    TileID
		}{{"risk_points", z16}, {All, z14}} {
			x, y, ok := findPoint(t, mustTile(t, s, all, q.layer, q.id).Data, p)
			want := tileCoords(q.id, at[0], at[1])
			if !ok || x != want[0] || y != want[1] {
				stale++
				t.Errorf("round %d, %s %s: P at (%v, %v), want (%v, %v)", i, q.layer, q.id, x, y, want[0], want[1])
			}
		}
		time.Sleep(time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	st := s.Stats()
	t.Logf("%d rounds, %d concurrent reads; cache: %d hits, %d stores, %d stores refused as stale or not live, %d invalidated",
		rounds, reads.Load(), st.Hits, st.Stores, st.Skipped, st.Invalidated)
	if st.Hits == 0 || st.Stores == 0 {
		t.Errorf("the cache was not exercised: %+v", st)
	}
	if stale > 0 {
		t.Fatalf("%d stale reads", stale)
	}
}

// Writes made anywhere (another replica, QGIS: here plain SQL) reach every
// replica's cache through NOTIFY.
func TestChangesReachEveryReplicaThroughNotify(t *testing.T) {
	pool := freshDB(t)
	a := startService(t, pool, 64<<20)
	b := startService(t, pool, 64<<20)
	ctx := context.Background()
	p := addPoint(t, pool, "P", 1, 115.30, 23.00)
	for _, s := range []*Service{a, b} {
		if err := s.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	all := riskmap.Scope{All: true}
	id := tileAt(15, 115.30, 23.00)
	for _, s := range []*Service{a, b} {
		mustTile(t, s, all, "risk_points", id)
		if !cachedForAll(s, "risk_points", id) {
			t.Fatal("tile not cached")
		}
	}
	movePoint(t, pool, p, 115.3001, 23.0001)
	// nobody calls Sync: the notification alone must do it
	waitFor(t, "replica a to drop the tile", func() bool { return !cachedForAll(a, "risk_points", id) })
	waitFor(t, "replica b to drop the tile", func() bool { return !cachedForAll(b, "risk_points", id) })
	// a write through replica a (which syncs a) also reaches b
	mustTile(t, b, all, "risk_points", id)
	movePoint(t, pool, p, 115.3002, 23.0002)
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(ctx); err != nil { // b's barrier returns once b has seen the write
		t.Fatal(err)
	}
	if cachedForAll(b, "risk_points", id) {
		t.Fatal("replica b still caches the tile after the write")
	}
	x, y, ok := findPoint(t, mustTile(t, b, all, "risk_points", id).Data, p)
	want := tileCoords(id, 115.3002, 23.0002)
	if !ok || x != want[0] || y != want[1] {
		t.Fatalf("replica b shows P at (%v, %v) %v, want %v", x, y, ok, want)
	}
}

// When the listener's connection drops, the caches stop serving (a change
// could be missed) until it is back, then work as before.
func TestTheListenerReconnectsAndTheCacheIsBypassedMeanwhile(t *testing.T) {
	pool := freshDB(t)
	s := startService(t, pool, 64<<20)
	ctx := context.Background()
	p := addPoint(t, pool, "P", 1, 115.30, 23.00)
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	all := riskmap.Scope{All: true}
	id := tileAt(15, 115.30, 23.00)
	mustTile(t, s, all, "risk_points", id)
	if !mustTile(t, s, all, "risk_points", id).Cached {
		t.Fatal("second read not cached")
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'listen %'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("terminate the listener: %d backends, %v", n, err)
	}
	waitFor(t, "the cache to be bypassed", func() bool { return !s.Live() })
	if mustTile(t, s, all, "risk_points", id).Cached {
		t.Error("served from the cache while not listening")
	}
	waitFor(t, "the listener to reconnect", s.Live)
	mustTile(t, s, all, "risk_points", id)
	if !mustTile(t, s, all, "risk_points", id).Cached {
		t.Error("not cached again after reconnecting")
	}
	movePoint(t, pool, p, 115.3001, 23.0001)
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if cachedForAll(s, "risk_points", id) {
		t.Error("a change after reconnecting did not drop the tile")
	}
}

func ExampleFingerprint() {
	fmt.Println(Fingerprint(riskmap.Scope{All: true}))
	fmt.Println(Fingerprint(riskmap.Scope{Areas: []string{"441502002000", "441502001000"}}))
	fmt.Println(Fingerprint(riskmap.Scope{Grids: []string{"441502001001001"}}))
	// Output:
	// *
	// a:441502001000,441502002000;g:
	// a:;g:441502001001001
}
