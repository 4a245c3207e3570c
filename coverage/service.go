// Package coverage answers the planners' questions about emergency
// facilities: which grids, risk points, hazard sources and people are
// within reach of a township emergency station or a supply depot, by
// straight-line distance or by road travel time (pgRouting over the network
// of package roads); which townships lack part of their 四个一; whether the
// depots hold their norms of stock per resident; and where k new stations
// would cover the most risk-weighted population.
//
// Definitions (README "Coverage"):
//   - A grid is covered when its representative point (ST_PointOnSurface:
//     always inside it) is within reach; points (risk points, hazard
//     sources) are covered by their own position. "Within" is inclusive: a
//     point exactly at the limit is covered.
//   - Distances are great-circle metres on the WGS-84 mean sphere (see
//     EarthRadius). Facilities count wherever they lie, also outside the
//     user's scope or their own township: people are reached across
//     boundaries.
//   - Travel time runs from the facility to the target over the roads, each
//     edge at its class speed (table road_speeds, capped by its maxspeed),
//     one-way streets respected. The facility and the target join the
//     network at their nearest routable junction, in a straight line at
//     Config.AccessSpeedKmh; there is no off-road shortcut between them.
//
// Every read is filtered in SQL by the user's scope. Grid workers get 403:
// coverage is a planning view of townships and above.
package coverage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/singleflight"

	"riskmap"
	"riskmap/postgres"
)

// Config holds the settings; zero values take the defaults.
type Config struct {
	// AccessSpeedKmh is the speed of the straight line between a point and
	// its nearest junction (default 20 km/h: a vehicle on an unmapped lane).
	AccessSpeedKmh float64
	// Weights of risk levels 1–4 (default docs/domain.md's 8, 4, 2, 1).
	Weights [4]float64
	// ListLimit is the default number of uncovered risk points and hazard
	// sources listed (default 1000; every uncovered grid is always listed).
	ListLimit int
	// Norms are the depot stock norms per 1,000 residents (default
	// DefaultNorms).
	Norms []Norm
	// ExpiryWarningDays: stock expiring within this many days is flagged
	// (default 30); expired stock does not count towards the norms.
	ExpiryWarningDays int
	// CacheEntries bounds the cached results (default 64).
	CacheEntries int
	// TileCacheBytes bounds the cached coverage tiles (default 64 MB; < 0
	// turns the cache off).
	TileCacheBytes int64
	// Logger receives warnings (default slog.Default()).
	Logger *slog.Logger
	// Reads runs answers' snapshots: on a hot standby when it is fresh
	// (postgres.Reads; nil: the pool). Rebuilding the road topology, a
	// write, stays on the pool.
	Reads *postgres.Reads
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{AccessSpeedKmh: 20, Weights: [4]float64{8, 4, 2, 1}, ListLimit: 1000, Norms: DefaultNorms(), CacheEntries: 64, TileCacheBytes: 64 << 20}
}

// Service computes coverage, readiness, sufficiency and siting.
type Service struct {
	pool  *pgxpool.Pool
	reads *postgres.Reads
	cfg   Config
	cache *cache
	// live: Listen follows change notifications, and generation counts
	// them (see Listen); instance tells this service's counter from the
	// table-derived versions.
	live       atomic.Bool
	generation atomic.Uint64
	instance   string
	tiles      *tileCache
	flights    singleflight.Group // computations in progress
	barriers   *postgres.Barriers // Sync's
}

// NewService returns a service over pool.
func NewService(pool *pgxpool.Pool, cfg Config) *Service {
	d := DefaultConfig()
	if cfg.AccessSpeedKmh <= 0 {
		cfg.AccessSpeedKmh = d.AccessSpeedKmh
	}
	if cfg.Weights == [4]float64{} {
		cfg.Weights = d.Weights
	}
	if cfg.ListLimit <= 0 {
		cfg.ListLimit = d.ListLimit
	}
	if cfg.Norms == nil {
		cfg.Norms = d.Norms
	}
	if cfg.CacheEntries <= 0 {
		cfg.CacheEntries = d.CacheEntries
	}
	if cfg.ExpiryWarningDays <= 0 {
		cfg.ExpiryWarningDays = 30
	}
	if cfg.TileCacheBytes == 0 {
		cfg.TileCacheBytes = d.TileCacheBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Reads == nil {
		cfg.Reads = postgres.PrimaryReads(pool)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return &Service{pool: pool, reads: cfg.Reads, cfg: cfg, cache: newCache(cfg.CacheEntries), instance: hex.EncodeToString(b),
		tiles: newTileCache(cfg.TileCacheBytes), barriers: postgres.NewBarriers()}
}

func (s *Service) logger() *slog.Logger { return s.cfg.Logger }

// Config returns the settings in force.
func (s *Service) Config() Config { return s.cfg }

// MaxListLimit caps the listed uncovered points.
const MaxListLimit = 100000

// allowed is the role rule: everyone but grid workers.
func allowed(u *riskmap.User) error {
	if u == nil {
		return riskmap.Errorf(riskmap.EUNAUTHORIZED, "not logged in")
	}
	if u.Role == riskmap.RoleWorker {
		return riskmap.Errorf(riskmap.EFORBIDDEN, "coverage, readiness, depot sufficiency and siting are for township offices, counties, the city and planners; grid workers see the layers of their grids")
	}
	return nil
}

// area is the resolved area filter: its code prefix ("%" for none) and name.
type area struct {
	code, name, prefix string
}

// resolveArea checks the area parameter: it must exist (else 404) and meet
// the user's scope (else 403); the SQL then keeps both filters.
func (s *Service) resolveArea(ctx context.Context, tx pgx.Tx, u *riskmap.User, code string) (area, error) {
	if code == "" {
		return area{prefix: "%"}, nil
	}
	a := area{code: code, prefix: riskmap.AreaPrefix(code) + "%"}
	err := tx.QueryRow(ctx, "SELECT name FROM areas WHERE code = $1", code).Scan(&a.name)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, riskmap.Errorf(riskmap.ENOTFOUND, "area %s not found", code).
			WithDetails(riskmap.Detail{Field: "area", Value: code, Message: "no such area"})
	}
	if err != nil {
		return a, fmt.Errorf("coverage: area %s: %w", code, err)
	}
	if !u.Scope().Overlaps(code) {
		return a, riskmap.Errorf(riskmap.EFORBIDDEN, "area %s %s is outside your area", code, a.name).
			WithDetails(riskmap.Detail{Field: "area", Value: code, Message: "outside your scope"})
	}
	return a, nil
}

// cache keeps recent results keyed by request and the data version they
// were computed from (riskmap_coverage_version()): a result is served again
// only while the data it read is unchanged, on any replica.
type cache struct {
	mu      sync.Mutex
	max     int
	entries map[string]cacheEntry
	order   []string // oldest first
}

type cacheEntry struct {
	version string
	value   any
}

func newCache(max int) *cache { return &cache{max: max, entries: map[string]cacheEntry{}} }

func (c *cache) get(key, version string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || e.version != version {
		return nil, false
	}
	return e.value, true
}

func (c *cache) put(key, version string, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok {
		c.order = append(c.order, key)
	}
	c.entries[key] = cacheEntry{version, v}
	for len(c.order) > c.max {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
}

// snapshot runs fn in one REPEATABLE READ transaction, so that every table
// an answer reads (and the data version it is cached under) is seen at the
// same moment; read-only, on the standby when it is fresh. JIT is off:
// PostGIS functions declare high costs, which make PostgreSQL compile
// these one-off queries, slower than running them.
//
// The live data version is read first, before the transaction begins: a
// change notified before is in the snapshot (on a standby too: the
// listener raises the reads' watermark before it moves the version, and
// the standby is chosen after), and one notified after moves the version
// past the one this answer is cached under.
func (s *Service) snapshot(ctx context.Context, fn func(tx pgx.Tx) error) error {
	st := &snapshotTx{live: s.live.Load(), version: s.liveVersion()}
	return pgx.BeginTxFunc(ctx, s.reads, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL jit = off"); err != nil {
			return fmt.Errorf("coverage: %w", err)
		}
		st.Tx = tx
		return fn(st)
	})
}

// snapshotTx is an answer's transaction and the live data version read
// before it began (version).
type snapshotTx struct {
	pgx.Tx
	live    bool
	version string
}

// unwrap is the transaction under an answer's.
func unwrap(tx pgx.Tx) pgx.Tx {
	if st, ok := tx.(*snapshotTx); ok {
		return st.Tx
	}
	return tx
}

// scopeKey identifies a scope in cache keys.
func scopeKey(sc riskmap.Scope) string {
	if sc.All {
		return "all"
	}
	return "a:" + strings.Join(sc.Areas, ",") + ";g:" + strings.Join(sc.Grids, ",")
}
