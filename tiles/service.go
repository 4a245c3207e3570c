// Package tiles serves the map layers as Mapbox Vector Tiles made by
// PostGIS (ST_AsMVT over the Web Mercator copies of the geometries), with
// point clusters and simplified polygons at low zooms, TileJSON and a
// MapLibre style; and a tile cache bounded by bytes whose entries are
// dropped exactly when a change (made anywhere: announced by PostgreSQL
// NOTIFY) meets them.
package tiles

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/postgres"
)

// DefaultConns is the default size of the tile queries' connection pool:
// four per CPU, so that the database stays busy while requests wait on
// the network and the scheduler (tile queries are short).
func DefaultConns() int { return 4 * runtime.NumCPU() }

// Options configure a Service.
type Options struct {
	// CacheBytes bounds the tile cache; 0 disables it.
	CacheBytes int64
	Logger     *slog.Logger
	// Reads, when set, makes tile misses on a hot standby when it has
	// replayed the latest change heard of (standby.go), else on the
	// service's pool. Name its view "tiles" (ReadStats).
	Reads *postgres.Reads
	// Now is the clock that decides today's date for daily layers (default
	// time.Now; tests fix it).
	Now func() time.Time
	// Followers are told of the changes the tile listener sees, and
	// whether it sees them: other caches of what the layer tables hold
	// (the city's extent, features.Store), kept in step with the tiles and
	// with Sync.
	Followers []Follower
}

// Follower is a cache that follows the layer tables' changes through the
// tile listener (riskmap_tiles).
type Follower interface {
	// TablesChanged: a change to table was committed.
	TablesChanged(table string)
	// Following: whether changes are followed from now on (false: some
	// may be missed). Either way what was remembered is forgotten.
	Following(live bool)
}

// Service makes, caches and invalidates tiles.
type Service struct {
	pool   *pgxpool.Pool
	layers []*Layer
	index  map[string]int // layer name → tree index; All is len(layers)
	// daily says, per layer index, at which zooms a tile's cache key
	// carries the day (day): worked out once, not on every hit
	daily     [][MaxZoom + 1]bool
	stmts     map[statementKey]string
	cache     *cache
	logger    *slog.Logger
	followers []Follower
	now       func() time.Time
	date      atomic.Pointer[date] // today's, remembered (today)
	live      atomic.Bool
	gzip      gzipper

	reads     *postgres.Reads
	standbyOK atomic.Bool // the latest change's position was read (noteChange)

	mu sync.Mutex
	// barriers are Sync's markers in flight
	barriers *postgres.Barriers
	// scopes numbers the scopes seen, for cache keys (scopeID); read
	// without a lock, replaced whole under scopesMu when one is added
	scopesMu sync.Mutex
	scopes   atomic.Pointer[scopeIDs]
	flights  map[flightKey]*flight

	// beforeStore, when set (by tests), runs between a tile's query and
	// its storing in the cache: the window the generation check guards.
	beforeStore func(layer string, t TileID)
}

// NewService returns a service over pool. Call Listen to follow changes:
// until it runs, nothing is cached.
func NewService(pool *pgxpool.Pool, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Service{
		pool:      pool,
		reads:     opts.Reads,
		layers:    Layers(),
		index:     map[string]int{},
		stmts:     map[statementKey]string{},
		logger:    opts.Logger,
		followers: opts.Followers,
		now:       opts.Now,
		barriers:  postgres.NewBarriers(),
		flights:   map[flightKey]*flight{},
	}
	s.scopes.Store(&scopeIDs{byCode: map[string]uint32{}, byFingerprint: map[string]uint32{}})
	for i, l := range s.layers {
		s.index[l.Name] = i
	}
	s.index[All] = len(s.layers)
	if s.now == nil {
		s.now = time.Now
	}
	s.cache = newCache(opts.CacheBytes, len(s.layers)+1)
	s.daily = make([][MaxZoom + 1]bool, len(s.layers)+1)
	for name, i := range s.index {
		var daily [MaxZoom + 1]bool
		for z := range daily {
			for _, l := range s.layersOf(name) {
				daily[z] = daily[z] || l.daily(l.variantAt(z))
			}
		}
		s.daily[i] = daily
		for z := 0; z <= MaxZoom; z++ {
			for _, all := range []bool{true, false} {
				// the text depends on whether the scope is everything, not on its codes
				sql, _ := buildSQL(s.layersOf(name), z, riskmap.Scope{All: all}, "")
				s.stmts[statementKey{name, z, all}] = sql
			}
		}
	}
	return s
}

// LayerNames lists the tile layers, All last.
func (s *Service) LayerNames() []string {
	out := make([]string, 0, len(s.layers)+1)
	for _, l := range s.layers {
		out = append(out, l.Name)
	}
	return append(out, All)
}

func (s *Service) layersOf(name string) []*Layer {
	if name == All {
		return s.layers
	}
	return []*Layer{s.layers[s.index[name]]}
}

func (s *Service) lookup(name string) (int, error) {
	i, ok := s.index[name]
	if !ok {
		return 0, riskmap.Errorf(riskmap.ENOTFOUND, "no tile layer %q: the layers are %s", name, strings.Join(s.LayerNames(), ", ")).
			WithDetails(riskmap.Detail{Field: "layer", Value: name, Message: "unknown layer"})
	}
	return i, nil
}

// Stats reports what the tile cache did.
func (s *Service) Stats() Stats { return s.cache.snapshot() }

// Tile is an encoded tile. No Data means no feature (the API answers 204).
type Tile struct {
	Data   []byte
	ETag   string // a strong validator: the hash of Data
	Cached bool   // served from the cache
	// ETagHeader is ETag as a header value, made once with a cached tile
	// so that serving it allocates nothing (nil: make it). Its len equals
	// its cap, so a Header.Add on it copies rather than writes into it.
	ETagHeader []string
	// Gzip is Data gzipped, made once with a cached tile and cached beside
	// it, for clients that accept gzip (nil: under GzipMinSize, or the
	// cache is off: see Service.Gzip); its entity
	// tag is GzipETag(ETag), and GzipETagHeader that as a header value,
	// made once with a cached tile like ETagHeader.
	Gzip           []byte
	GzipETagHeader []string
	// LengthHeader and GzipLengthHeader are the Content-Length header
	// values of Data and Gzip, made once with a cached tile (nil: make it).
	LengthHeader, GzipLengthHeader []string
}

// Tile returns tile t of layer as scope sees it.
func (s *Service) Tile(ctx context.Context, scope riskmap.Scope, layer string, t TileID) (Tile, error) {
	i, err := s.lookup(layer)
	if err != nil {
		return Tile{}, err
	}
	if !s.cache.enabled() {
		data, err := s.query(ctx, layer, t, scope)
		if err != nil {
			return Tile{}, err
		}
		return Tile{Data: data, ETag: etagOf(data)}, nil // gzipped only when asked (Gzip)
	}
	key := s.key(scope, i, t)
	if e, ok := s.cache.get(key); ok {
		return e.tile(), nil
	}
	// Requests for the same tile at once share one query, but only among
	// requests made since the same change: a request made after a write
	// never joins a query begun before it.
	gen := s.cache.begin()
	return s.shared(ctx, flightKey{key, gen}, func(ctx context.Context) (Tile, error) {
		data, err := s.query(ctx, layer, t, scope)
		if err != nil {
			return Tile{}, err
		}
		tile := Tile{Data: data, ETag: etagOf(data), Gzip: s.gzip.compress(data)}
		if s.beforeStore != nil {
			s.beforeStore(layer, t)
		}
		s.cache.put(key, i, t.reach(), tile, gen)
		return tile, nil
	})
}

// Cached returns tile t of layer as scope sees it if the cache holds it:
// the common case, which needs no context (nothing is waited for) and
// allocates nothing. A miss is not counted: the caller asks Tile next.
func (s *Service) Cached(scope riskmap.Scope, layer string, t TileID) (Tile, bool) {
	i, ok := s.index[layer]
	if !ok || !s.cache.enabled() {
		return Tile{}, false
	}
	e, ok := s.cache.find(s.key(scope, i, t), false)
	if !ok {
		return Tile{}, false
	}
	return e.tile(), true
}

// key is the cache key of tile t of the layer of index layer for scope.
func (s *Service) key(scope riskmap.Scope, layer int, t TileID) cacheKey {
	return cacheKey{tile: t, layer: layer, scope: s.scopeID(scope), day: s.day(layer, t.Z)}
}

func (e *entry) tile() Tile {
	return Tile{Data: e.data, ETag: e.etag, ETagHeader: e.etags, Cached: true, Gzip: e.gz, GzipETagHeader: e.gzETags,
		LengthHeader: e.lengths[0], GzipLengthHeader: e.lengths[1]}
}

// Query returns the SQL and arguments that make a tile: what Tile runs on a
// cache miss (the benchmark runs the same directly). An empty SQL means the
// tile has no layer at that zoom.
func (s *Service) Query(scope riskmap.Scope, layer string, t TileID) (string, []any, error) {
	if _, err := s.lookup(layer); err != nil {
		return "", nil, err
	}
	sql := s.stmts[statementKey{layer, t.Z, scope.All}]
	if sql == "" {
		return "", nil, nil
	}
	args := []any{t.Z, t.X, t.Y}
	for _, l := range s.layersOf(layer) {
		if v := l.variantAt(t.Z); v != none {
			if l.daily(v) {
				args = append(args, s.today())
			}
			_, a := l.scopeSQL(scope, 0)
			args = append(args, a...)
		}
	}
	return sql, args, nil
}

// today is the date daily layers are made for, in UTC+8 (the statistics'
// and deadlines' calendar), as their queries take it.
func (s *Service) today() string { return s.todayDate().text }

// todayDate is today as a day number and text. A cached tile of a daily
// layer asks for the number on every hit (its cache key's day), so the
// date is kept for the day it names and made anew only when that passes.
func (s *Service) todayDate() *date {
	now := s.now()
	day := (now.Unix() + 8*3600) / 86400 // days since 1970-01-01 in UTC+8
	if d := s.date.Load(); d != nil && d.day == day {
		return d
	}
	d := &date{day: day, text: now.In(shanghai).Format("2006-01-02")}
	s.date.Store(d)
	return d
}

// date is a day (since 1970-01-01 in UTC+8) with its text.
type date struct {
	day  int64
	text string
}

var shanghai = time.FixedZone("CST", 8*3600)

// day is the cache key's day for a tile of the layer of index layer at
// zoom z: today (days since 1970-01-01 in UTC+8) when one of its layers is
// daily there, so a tile made yesterday is never served today; else 0.
func (s *Service) day(layer, z int) int32 {
	if z >= 0 && z <= MaxZoom && s.daily[layer][z] {
		return int32(s.todayDate().day)
	}
	return 0
}

func (s *Service) query(ctx context.Context, layer string, t TileID, scope riskmap.Scope) ([]byte, error) {
	sql, args, err := s.Query(scope, layer, t)
	if err != nil || sql == "" {
		return nil, err
	}
	var db postgres.Rower = s.pool
	if s.reads != nil && s.standbyOK.Load() {
		db = s.reads
	}
	var data []byte
	if err := db.QueryRow(ctx, sql, args...).Scan(&data); err != nil {
		return nil, fmt.Errorf("tile %s/%s: %w", layer, t, err)
	}
	return data, nil
}

// etagOf is a strong validator of data: its 64-bit xxhash and length. A
// validator needs no cryptographic strength (a client only ever compares it
// with what this URL sent before), and xxhash costs a fraction of a
// microsecond where SHA-256 took microseconds on a large tile.
func etagOf(data []byte) string {
	b := make([]byte, 0, 32)
	b = append(b, '"')
	b = strconv.AppendUint(b, xxhash.Sum64(data), 36)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(len(data)), 36)
	b = append(b, '"')
	return string(b)
}

// Fingerprint names a scope in cache keys (riskmap.Scope.Fingerprint).
func Fingerprint(s riskmap.Scope) string { return s.Fingerprint() }

// scopeIDs numbers scopes by their Fingerprint (0 is everything's), and
// remembers the number of each one-code scope (most users: an office's
// area, a worker's grid) by its code, so that a cached tile neither
// allocates nor hashes more than the code for its key. Bounded by the
// city's areas and grids, and the few scopes of several codes.
type scopeIDs struct {
	byCode        map[string]uint32
	byFingerprint map[string]uint32
}

// scopeID is the number of sc's Fingerprint.
func (s *Service) scopeID(sc riskmap.Scope) uint32 {
	var code string
	switch {
	case sc.All:
		return 0
	case len(sc.Areas) == 1 && len(sc.Grids) == 0:
		code = sc.Areas[0]
	case len(sc.Grids) == 1 && len(sc.Areas) == 0:
		code = sc.Grids[0]
	}
	ids := s.scopes.Load()
	if code != "" {
		if id, ok := ids.byCode[code]; ok {
			return id
		}
	}
	fp := Fingerprint(sc)
	if id, ok := ids.byFingerprint[fp]; ok && code == "" {
		return id // several codes: their fingerprint is made every time, as before
	}
	// a scope not seen before: the maps are copied, not changed, so that
	// readers need no lock (a new scope is a user's first tile, rare)
	s.scopesMu.Lock()
	defer s.scopesMu.Unlock()
	ids = s.scopes.Load()
	next := &scopeIDs{byCode: maps.Clone(ids.byCode), byFingerprint: maps.Clone(ids.byFingerprint)}
	id, ok := next.byFingerprint[fp]
	if !ok {
		id = uint32(len(next.byFingerprint)) + 1
		next.byFingerprint[fp] = id
	}
	if code != "" {
		// codes are 12 digits for areas and 15 for grids, so one never
		// stands for the other
		next.byCode[code] = id
	}
	s.scopes.Store(next)
	return id
}

// flight is one tile query shared by concurrent requests.
type flightKey struct {
	cacheKey
	gen uint64
}

type flight struct {
	done chan struct{}
	tile Tile
	err  error
}

// shared runs fn once for concurrent callers with the same key. fn runs
// detached from any one caller's cancellation (bounded by a timeout), so a
// client that goes away does not fail the others waiting on it.
func (s *Service) shared(ctx context.Context, k flightKey, fn func(context.Context) (Tile, error)) (Tile, error) {
	s.mu.Lock()
	if f, ok := s.flights[k]; ok {
		s.mu.Unlock()
		select {
		case <-f.done:
			return f.tile, f.err
		case <-ctx.Done():
			return Tile{}, ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	s.flights[k] = f
	s.mu.Unlock()
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	f.tile, f.err = fn(qctx)
	cancel()
	s.mu.Lock()
	delete(s.flights, k)
	s.mu.Unlock()
	close(f.done)
	return f.tile, f.err
}

// CheckLayer answers whether name is a tile layer, as a not-found error
// naming the layers when it is not.
func (s *Service) CheckLayer(name string) error {
	_, err := s.lookup(name)
	return err
}
