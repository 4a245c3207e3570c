package features

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/postgres"
)

// Store reads and writes feature layers in PostGIS.
type Store struct {
	pool *pgxpool.Pool
	// reads runs lists, exports, counts and searches: on a hot standby
	// when it is fresh (postgres.Reads). A read that must see a write
	// made elsewhere (Get, history, checks inside writes) uses pool.
	reads  *postgres.Reads
	Layers Registry
	bounds boundsCache
}

// Options configure a Store.
type Options struct {
	// Reads runs the read-only queries of lists, exports, counts and
	// searches (nil: the pool).
	Reads *postgres.Reads
}

// NewStore returns a store over pool.
func NewStore(pool *pgxpool.Pool) *Store { return NewStoreWith(pool, Options{}) }

// NewStoreWith returns a store over pool configured by opts.
func NewStoreWith(pool *pgxpool.Pool, opts Options) *Store {
	if opts.Reads == nil {
		opts.Reads = postgres.PrimaryReads(pool)
	}
	return &Store{pool: pool, reads: opts.Reads, Layers: NewRegistry()}
}

// Feature is one stored feature as GeoJSON, with its version for ETags.
type Feature struct {
	ID      int64
	Version int
	JSON    json.RawMessage
}

// selectFeature is the projection every read uses: PostgreSQL writes the
// geometry's GeoJSON (every digit: exports round-trip) and each property
// column in text; scanFeatures puts them together as the Feature's JSON
// (featurejson.go), the properties named by names. Naming the columns
// matters: to_jsonb of the whole row turned both geometry columns into
// GeoJSON as well (a spatial_ref_sys look-up each) only to drop them,
// which made a page of 1,000 points ten times slower to build. Run it
// with textResults first among the arguments.
func selectFeature(l *Layer, latLon bool) (sql string, names []string) {
	cols, names := propertyColumns(l)
	geom := "t.geom"
	if latLon {
		geom = "ST_FlipCoordinates(t.geom)"
	}
	return fmt.Sprintf("SELECT t.id, t.version, ST_AsGeoJSON(%s, 15), %s FROM %s t", geom, strings.Join(cols, ", "), l.Name), names
}

// scanDoc reads a row (id, version, the Feature's JSON as text).
func scanDoc(row pgx.Row) (Feature, error) {
	var f Feature
	var s string
	if err := row.Scan(&f.ID, &f.Version, &s); err != nil {
		return Feature{}, err
	}
	f.JSON = json.RawMessage(s)
	return f, nil
}

// noParallel keeps a read from starting parallel workers, in the
// transaction that runs it: for a page of features their start-up costs
// more than the whole query (190 ms against 8 ms under load on the 2-core
// machine), and a busy server has no idle core for them anyway.
const noParallel = "SET LOCAL max_parallel_workers_per_gather = 0"

// readOnly runs fn in a read-only transaction without parallel workers,
// on the standby when it is fresh (s.reads). The transaction begins and
// turns the workers off in one round trip (two statements in one simple
// query): a page of features is only three statements.
func (s *Store) readOnly(ctx context.Context, iso pgx.TxIsoLevel, fn func(pgx.Tx) error) error {
	opts := pgx.TxOptions{IsoLevel: iso, AccessMode: pgx.ReadOnly}
	opts.BeginQuery = "BEGIN ISOLATION LEVEL " + string(iso) + " READ ONLY; " + noParallel
	return pgx.BeginTxFunc(ctx, s.reads, opts, fn)
}

// ListQuery selects a page of a layer.
type ListQuery struct {
	BBox  *[4]float64 // minLon, minLat, maxLon, maxLat
	Area  string      // a 12-digit area or 15-digit grid code: only what lies in it
	Limit int
	After int64 // cursor: ids greater than this
}

// scopeSQL is the predicate keeping a list of l to scope and, when q names
// one, to q's area (the same prefix rule, so an area outside the scope
// lists nothing); arguments numbered from next.
func (l *Layer) scopeSQL(scope riskmap.Scope, q ListQuery, next int) (string, []any) {
	cond, args := l.ScopeSQL(scope, next)
	if q.Area == "" {
		return cond, args
	}
	in := riskmap.Scope{Areas: []string{q.Area}}
	if len(q.Area) == 15 {
		in = riskmap.Scope{Grids: []string{q.Area}}
	}
	area, more := l.ScopeSQL(in, next+len(args))
	return "(" + cond + " AND " + area + ")", append(args, more...)
}

// Page is one page of features; Next is the cursor of the following page, or 0.
type Page struct {
	Features []Feature
	Next     int64
}

// List returns features of l in scope, ordered by id.
func (s *Store) List(ctx context.Context, l *Layer, scope riskmap.Scope, q ListQuery) (Page, error) {
	args := []any{q.After, q.Limit + 1}
	where := []string{"t.id > $1"}
	if q.BBox != nil {
		b := q.BBox
		args = append(args, b[0], b[1], b[2], b[3])
		// exact (ST_Intersects): && alone compares float4-rounded boxes
		where = append(where, "ST_Intersects(t.geom, ST_MakeEnvelope($3, $4, $5, $6, 4326))")
	}
	cond, scopeArgs := l.scopeSQL(scope, q, len(args)+1)
	args = append(args, scopeArgs...)
	where = append(where, cond)
	head, names := selectFeature(l, false)
	sql := head + " WHERE " + strings.Join(where, " AND ") + " ORDER BY t.id LIMIT $2"
	var p Page
	err := s.readOnly(ctx, pgx.ReadCommitted, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sql, append([]any{textResults}, args...)...)
		if err != nil {
			return err
		}
		p.Features = make([]Feature, 0, min(q.Limit+1, 1000))
		return scanFeatures(rows, names, func(f Feature) error {
			p.Features = append(p.Features, f)
			return nil
		})
	})
	if err != nil {
		return Page{}, fmt.Errorf("list %s: %w", l.Name, postgres.Translate(err))
	}
	if len(p.Features) > q.Limit {
		p.Features = p.Features[:q.Limit]
		p.Next = p.Features[q.Limit-1].ID
	}
	return p, nil
}

// Get returns one feature in scope; outside scope it does not exist.
func (s *Store) Get(ctx context.Context, l *Layer, scope riskmap.Scope, id int64) (Feature, error) {
	return s.get(ctx, s.pool, l, scope, id, false)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func (s *Store) get(ctx context.Context, q querier, l *Layer, scope riskmap.Scope, id int64, lock bool) (Feature, error) {
	cond, scopeArgs := l.ScopeSQL(scope, 2)
	head, names := selectFeature(l, false)
	sql := head + " WHERE t.id = $1 AND " + cond
	if lock {
		sql += " FOR UPDATE OF t"
	}
	var ft Feature
	found := false
	rows, err := q.Query(ctx, sql, append([]any{textResults, id}, scopeArgs...)...)
	if err == nil {
		err = scanFeatures(rows, names, func(f Feature) error {
			ft, found = f, true
			return nil
		})
	}
	if err != nil {
		return Feature{}, fmt.Errorf("get %s %d: %w", l.Name, id, err)
	}
	if !found {
		return Feature{}, riskmap.Errorf(riskmap.ENOTFOUND, "%s %d not found", l.Name, id)
	}
	return ft, nil
}

// getForWrite locks a feature for change. Outside the user's scope a
// write is forbidden (403), whether or not the id exists elsewhere, so
// the answer reveals nothing a read would not.
func (s *Store) getForWrite(ctx context.Context, tx pgx.Tx, l *Layer, scope riskmap.Scope, id int64) (Feature, error) {
	f, err := s.get(ctx, tx, l, scope, id, true)
	if err != nil && !scope.All && riskmap.ErrorCode(err) == riskmap.ENOTFOUND {
		return Feature{}, riskmap.Errorf(riskmap.EFORBIDDEN, "%s %d is not in your area", l.Name, id)
	}
	return f, err
}

// Create inserts a feature; the new feature must lie in scope.
func (s *Store) Create(ctx context.Context, l *Layer, scope riskmap.Scope, in *Input) (Feature, error) {
	var out Feature
	err := postgres.BeginAudited(ctx, s.pool, func(tx pgx.Tx) (err error) {
		out, err = s.CreateIn(ctx, tx, l, scope, in)
		return err
	})
	return out, err
}

// CreateIn is Create inside a transaction the caller runs (an approved
// proposal applies its change in the approval's transaction).
func (s *Store) CreateIn(ctx context.Context, tx pgx.Tx, l *Layer, scope riskmap.Scope, in *Input) (Feature, error) {
	if err := checkValid(ctx, tx, in.Geometry); err != nil {
		return Feature{}, err
	}
	cols, vals, args := assignments(l, in, 1)
	cols = append(cols, "geom")
	vals = append(vals, fmt.Sprintf("ST_SetSRID(ST_GeomFromGeoJSON($%d), 4326)", len(args)+1))
	args = append(args, string(in.Geometry))
	sql := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) RETURNING id, %s", l.Name, strings.Join(cols, ", "), strings.Join(vals, ", "), l.ScopeColumn)
	var id int64
	var code string
	if err := tx.QueryRow(ctx, sql, args...).Scan(&id, &code); err != nil {
		return Feature{}, postgres.Translate(err)
	}
	if !scope.Contains(code) {
		return Feature{}, riskmap.Errorf(riskmap.EFORBIDDEN, "%s %s is outside your area", l.ScopeColumn, code)
	}
	if in.InventorySet {
		if err := replaceInventory(ctx, tx, id, in.Inventory); err != nil {
			return Feature{}, err
		}
	}
	return s.get(ctx, tx, l, riskmap.Scope{All: true}, id, false)
}

// IfMatch is a write's precondition: the versions it may apply to (from
// If-Match's entity tags). Nil is no precondition; an empty, non-nil one
// matches no version (a tag that is not one of ours).
type IfMatch []int

func (m IfMatch) refuses(version int) bool { return m != nil && !slices.Contains(m, version) }

func (m IfMatch) String() string {
	if len(m) == 0 {
		return "none of the versions you sent"
	}
	s := make([]string, len(m))
	for i, v := range m {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, " or ")
}

// Update applies a partial change. With ifMatch it refuses a stale version.
// Both the old and the new location must be in scope.
func (s *Store) Update(ctx context.Context, l *Layer, scope riskmap.Scope, id int64, in *Input, ifMatch IfMatch) (Feature, error) {
	out, err := s.UpdateMany(ctx, l, scope, []Change{{ID: id, Input: in, IfMatch: ifMatch}})
	if err != nil {
		return Feature{}, err
	}
	return out[0], nil
}

// Change is one feature's part of a batch update.
type Change struct {
	ID      int64
	Input   *Input
	IfMatch IfMatch
}

// UpdateMany applies several changes in one transaction, all or nothing.
// Integrity checks run at commit, so grids sharing an edge can be redrawn
// together (one shrinks, its neighbour grows) and the points between them
// are placed on the new shapes.
func (s *Store) UpdateMany(ctx context.Context, l *Layer, scope riskmap.Scope, changes []Change) ([]Feature, error) {
	var out []Feature
	err := postgres.BeginAudited(ctx, s.pool, func(tx pgx.Tx) (err error) {
		out, err = s.UpdateIn(ctx, tx, l, scope, changes)
		return err
	})
	return out, err
}

// UpdateIn is UpdateMany inside a transaction the caller runs.
func (s *Store) UpdateIn(ctx context.Context, tx pgx.Tx, l *Layer, scope riskmap.Scope, changes []Change) ([]Feature, error) {
	out := make([]Feature, len(changes))
	if len(changes) > 1 {
		if _, err := tx.Exec(ctx, "SET CONSTRAINTS ALL DEFERRED"); err != nil {
			return nil, err
		}
	}
	for i, ch := range changes {
		if err := s.update(ctx, tx, l, scope, ch); err != nil {
			if len(changes) > 1 {
				return nil, withIndex(err, i, ch.ID)
			}
			return nil, err
		}
	}
	if len(changes) > 1 {
		// run the deferred checks here, inside the function, so their
		// errors are translated like any other
		if _, err := tx.Exec(ctx, "SET CONSTRAINTS ALL IMMEDIATE"); err != nil {
			return nil, postgres.Translate(err)
		}
	}
	for i, ch := range changes {
		f, err := s.get(ctx, tx, l, riskmap.Scope{All: true}, ch.ID, false)
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}

// GetIn reads one feature in scope inside tx, locked for change when lock.
func (s *Store) GetIn(ctx context.Context, tx pgx.Tx, l *Layer, scope riskmap.Scope, id int64, lock bool) (Feature, error) {
	return s.get(ctx, tx, l, scope, id, lock)
}

func withIndex(err error, i int, id int64) error {
	var e *riskmap.Error
	if asErr(err, &e) {
		c := *e
		c.Message = fmt.Sprintf("features[%d] (id %d): %s", i, id, e.Message)
		return &c
	}
	return fmt.Errorf("features[%d] (id %d): %w", i, id, err)
}

func (s *Store) update(ctx context.Context, tx pgx.Tx, l *Layer, scope riskmap.Scope, ch Change) error {
	id, in := ch.ID, ch.Input
	cur, err := s.getForWrite(ctx, tx, l, scope, id)
	if err != nil {
		return err
	}
	ifMatch := ch.IfMatch
	if v, ok := in.Derived["version"]; ok {
		var n int
		if err := json.Unmarshal(v, &n); err != nil {
			return riskmap.Errorf(riskmap.EUNPROCESSABLE, "properties.version: want the whole number you read, got %s", v)
		}
		ifMatch = IfMatch{n}
	}
	if ifMatch.refuses(cur.Version) {
		return riskmap.Errorf(riskmap.EPRECONDITION, "%s %d is at version %d, not %s: reload it and apply your change again", l.Name, id, cur.Version, ifMatch)
	}
	if err := checkDerived(cur, in.Derived); err != nil {
		return err
	}
	if err := checkValid(ctx, tx, in.Geometry); err != nil {
		return err
	}
	cols, vals, args := assignments(l, in, 2)
	if in.Geometry != nil {
		cols = append(cols, "geom")
		vals = append(vals, fmt.Sprintf("ST_SetSRID(ST_GeomFromGeoJSON($%d), 4326)", len(args)+2))
		args = append(args, string(in.Geometry))
	}
	if in.InventorySet {
		if err := replaceInventory(ctx, tx, id, in.Inventory); err != nil {
			return err
		}
		cols = append(cols, "updated_at")
		vals = append(vals, "now()")
	}
	if len(cols) == 0 {
		return nil
	}
	set := make([]string, len(cols))
	for i := range cols {
		set[i] = cols[i] + " = " + vals[i]
	}
	var code string
	sql := fmt.Sprintf("UPDATE %s t SET %s WHERE t.id = $1 RETURNING %s", l.Name, strings.Join(set, ", "), l.ScopeColumn)
	if err := tx.QueryRow(ctx, sql, append([]any{id}, args...)...).Scan(&code); err != nil {
		return postgres.Translate(err)
	}
	if !scope.Contains(code) {
		return riskmap.Errorf(riskmap.EFORBIDDEN, "the change would move %s %d to %s, outside your area", l.Name, id, code)
	}
	return nil
}

// Delete removes a feature in scope, refusing a stale ifMatch.
func (s *Store) Delete(ctx context.Context, l *Layer, scope riskmap.Scope, id int64, ifMatch IfMatch) error {
	return postgres.BeginAudited(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := s.getForWrite(ctx, tx, l, scope, id)
		if err != nil {
			return err
		}
		if ifMatch.refuses(cur.Version) {
			return riskmap.Errorf(riskmap.EPRECONDITION, "%s %d is at version %d, not %s", l.Name, id, cur.Version, ifMatch)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM "+l.Name+" WHERE id = $1", id); err != nil {
			return postgres.Translate(err)
		}
		return nil
	})
}

// assignments lists columns, placeholders and args for the input's values;
// placeholders are numbered from first. Columns come from the layer spec only.
func assignments(l *Layer, in *Input, first int) (cols, vals []string, args []any) {
	for _, fd := range l.Fields {
		v, ok := in.Values[fd.Name]
		if !ok {
			continue
		}
		cols = append(cols, fd.Name)
		vals = append(vals, fmt.Sprintf("$%d::%s", first+len(args), sqlType(fd.Kind)))
		args = append(args, v)
	}
	return cols, vals, args
}

func sqlType(k Kind) string {
	switch k {
	case Int, IntEnum:
		return "integer"
	case Numeric:
		return "numeric"
	case Date:
		return "date"
	case Bool:
		return "boolean"
	}
	return "text"
}

// checkValid asks PostGIS whether a polygon is valid, naming the reason (for
// example "Self-intersection[115.3 22.8]") before anything is written.
func checkValid(ctx context.Context, tx pgx.Tx, g []byte) error {
	if g == nil {
		return nil
	}
	var reason string
	if err := tx.QueryRow(ctx, "SELECT ST_IsValidReason(ST_GeomFromGeoJSON($1))", string(g)).Scan(&reason); err != nil {
		return postgres.Translate(err)
	}
	if reason != "Valid Geometry" {
		return riskmap.Errorf(riskmap.EUNPROCESSABLE, "geometry is not valid: %s", reason).
			WithDetails(riskmap.Detail{Field: "geometry", Message: reason})
	}
	return nil
}

// checkDerived accepts echoed read-only properties only if unchanged, so a
// client can send back what it read but never set a derived value.
func checkDerived(cur Feature, echoed map[string]json.RawMessage) error {
	if len(echoed) == 0 {
		return nil
	}
	var f struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(cur.JSON, &f); err != nil {
		return fmt.Errorf("decode stored feature: %w", err)
	}
	for _, name := range sortedKeys(echoed) {
		if name == "version" {
			continue // checked as a precondition
		}
		var a, b any
		_ = json.Unmarshal(echoed[name], &a)
		_ = json.Unmarshal(f.Properties[name], &b)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			return riskmap.Errorf(riskmap.EUNPROCESSABLE, "properties.%s is derived by the server and cannot be changed", name).
				WithDetails(riskmap.Detail{Field: "properties." + name, Message: "derived by the server"})
		}
	}
	return nil
}

// replaceInventory takes a PATCH's inventory as a stock count (盘点) of the
// whole depot: each listed line (item, batch) is corrected to its quantity
// and every line not listed to nothing, by count movements in the ledger
// (migrations/572_stock_movements.sql), so no line loses its history.
func replaceInventory(ctx context.Context, tx pgx.Tx, depot int64, items []Item) error {
	names, units, batches := make([]string, len(items)), make([]string, len(items)), make([]string, len(items))
	qty := make([]float64, len(items))
	for i, it := range items {
		names[i], units[i], batches[i], qty[i] = it.Item, strings.TrimSpace(it.Unit), it.Batch, it.Quantity
	}
	_, err := tx.Exec(ctx, `
		WITH want AS (SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::numeric[]) AS w(item, unit, batch, quantity)),
		cur AS (SELECT i.item, i.unit, i.batch, i.quantity FROM depot_items i WHERE i.depot_id = $1 FOR UPDATE)
		INSERT INTO stock_movements (depot_id, item, unit, batch, kind, quantity, reason)
		SELECT $1, coalesce(w.item, c.item), coalesce(w.unit, c.unit), coalesce(w.batch, c.batch), 'count',
		       coalesce(w.quantity, 0) - coalesce(c.quantity, 0), '盘点: inventory of the depot changed (PATCH)'
		  FROM want w FULL JOIN cur c ON c.item = w.item AND c.batch = w.batch
		 WHERE coalesce(w.quantity, 0) - coalesce(c.quantity, 0) <> 0
		 ORDER BY 2, 4`, depot, names, units, batches, qty)
	if err != nil {
		return postgres.Translate(err)
	}
	return nil
}
