package features

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/internal/cql2"
	"riskmap/postgres"
)

// ScanQuery selects features to stream (exports, OGC API items): a box, a
// cursor, equality filters on filterable columns, and a limit (0: all).
type ScanQuery struct {
	BBox   *[4]float64
	After  int64
	Limit  int
	Equals map[string]string // column -> value, compared as text
	// UpdatedFrom and UpdatedTo bound updated_at (inclusive; nil: open).
	UpdatedFrom, UpdatedTo *time.Time
	// Filter is a CQL2 expression on the layer's queryables.
	Filter *cql2.Expr
	// LatLon writes coordinates latitude first, as EPSG:4490 (CGCS2000)
	// orders its axes; otherwise lon/lat (CRS84).
	LatLon bool
}

// Scan streams the features of l in scope matching q, ordered by id, to fn,
// row by row from one query (memory stays flat however many there are).
// Filter columns must be l.Filterable; others are refused.
func (s *Store) Scan(ctx context.Context, l *Layer, scope riskmap.Scope, q ScanQuery, fn func(Feature) error) error {
	return s.readOnly(ctx, pgx.ReadCommitted, func(tx pgx.Tx) error { return s.scan(ctx, tx, l, scope, q, fn) })
}

// CountAndScan is Scan that also counts every feature q matches (its
// cursor and limit aside: an OGC page's numberMatched), in the same
// snapshot.
func (s *Store) CountAndScan(ctx context.Context, l *Layer, scope riskmap.Scope, q ScanQuery, fn func(Feature) error) (int64, error) {
	var n int64
	err := s.readOnly(ctx, pgx.RepeatableRead, func(tx pgx.Tx) error {
		var err error
		if n, err = s.count(ctx, tx, l, scope, q); err != nil {
			return err
		}
		return s.scan(ctx, tx, l, scope, q, fn)
	})
	return n, err
}

// ScanCounted is Scan told first how many features will follow: the count
// and the rows are read in one snapshot (a read-only repeatable-read
// transaction), so they agree however the layer changes meanwhile.
func (s *Store) ScanCounted(ctx context.Context, l *Layer, scope riskmap.Scope, q ScanQuery, count func(int64) error, fn func(Feature) error) error {
	return s.readOnly(ctx, pgx.RepeatableRead, func(tx pgx.Tx) error {
		n, err := s.count(ctx, tx, l, scope, q)
		if err != nil {
			return err
		}
		if q.Limit > 0 {
			n = min(n, int64(q.Limit))
		}
		if err := count(n); err != nil {
			return err
		}
		return s.scan(ctx, tx, l, scope, q, fn)
	})
}

type rowsQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s *Store) scan(ctx context.Context, db rowsQuerier, l *Layer, scope riskmap.Scope, q ScanQuery, fn func(Feature) error) error {
	head, names := selectFeature(l, q.LatLon)
	sql, args, err := scanSQL(l, scope, q, head)
	if err != nil {
		return err
	}
	sql += " ORDER BY t.id"
	if q.Limit > 0 {
		args = append(args, q.Limit)
		sql += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	rows, err := db.Query(ctx, sql, append([]any{textResults}, args...)...)
	if err != nil {
		return fmt.Errorf("scan %s: %w", l.Name, postgres.Translate(err))
	}
	var fnErr error // the caller's own, returned as it is
	err = scanFeatures(rows, names, func(f Feature) error {
		fnErr = fn(f)
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("scan %s: %w", l.Name, postgres.Translate(err))
	}
	return nil
}

// Count counts the features of l in scope matching q (cursor and limit ignored).
func (s *Store) Count(ctx context.Context, l *Layer, scope riskmap.Scope, q ScanQuery) (int64, error) {
	return s.count(ctx, s.reads, l, scope, q)
}

func (s *Store) count(ctx context.Context, db rowsQuerier, l *Layer, scope riskmap.Scope, q ScanQuery) (int64, error) {
	q.After = 0
	sql, args, err := scanSQL(l, scope, q, "SELECT count(*) FROM "+l.Name+" t")
	if err != nil {
		return 0, err
	}
	var n int64
	if err := db.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", l.Name, postgres.Translate(err))
	}
	return n, nil
}

// Extent is the bounding box of the features of l in scope (nil when there
// are none).
func (s *Store) Extent(ctx context.Context, l *Layer, scope riskmap.Scope) (*[4]float64, error) {
	cond, scopeArgs := l.ScopeSQL(scope, 1)
	var ok bool
	var b [4]float64
	err := s.reads.QueryRow(ctx, `SELECT count(*) > 0, coalesce(min(ST_XMin(t.geom)), 0), coalesce(min(ST_YMin(t.geom)), 0),
		coalesce(max(ST_XMax(t.geom)), 0), coalesce(max(ST_YMax(t.geom)), 0) FROM `+l.Name+" t WHERE "+cond, scopeArgs...).
		Scan(&ok, &b[0], &b[1], &b[2], &b[3])
	if err != nil {
		return nil, fmt.Errorf("extent %s: %w", l.Name, err)
	}
	if !ok {
		return nil, nil
	}
	return &b, nil
}

func scanSQL(l *Layer, scope riskmap.Scope, q ScanQuery, head string) (string, []any, error) {
	args := []any{q.After}
	where := []string{"t.id > $1"}
	if q.BBox != nil {
		// ST_Intersects, not &&: the index's boxes are rounded outwards
		// to float4, so && alone lets in a point up to a metre outside
		b := q.BBox
		args = append(args, b[0], b[1], b[2], b[3])
		where = append(where, "ST_Intersects(t.geom, ST_MakeEnvelope($2, $3, $4, $5, 4326))")
	}
	if q.UpdatedFrom != nil {
		args = append(args, *q.UpdatedFrom)
		where = append(where, fmt.Sprintf("t.updated_at >= $%d", len(args)))
	}
	if q.UpdatedTo != nil {
		args = append(args, *q.UpdatedTo)
		where = append(where, fmt.Sprintf("t.updated_at <= $%d", len(args)))
	}
	if q.Filter != nil {
		var f string
		var err error
		if f, args, err = filterSQL(l, q.Filter, args); err != nil {
			return "", nil, err
		}
		where = append(where, f)
	}
	cols := make([]string, 0, len(q.Equals))
	for c := range q.Equals {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	for _, c := range cols {
		if !l.Filterable(c) {
			return "", nil, riskmap.Errorf(riskmap.EINVALID, "cannot filter %s on %q", l.Name, c).
				WithDetails(riskmap.Detail{Field: c, Message: "not a filterable property"})
		}
		args = append(args, q.Equals[c])
		// c comes from the layer's allow-list, never from the request as such
		where = append(where, fmt.Sprintf("t.%s::text = $%d", c, len(args)))
	}
	cond, scopeArgs := l.ScopeSQL(scope, len(args)+1)
	args = append(args, scopeArgs...)
	where = append(where, cond)
	return head + " WHERE " + strings.Join(where, " AND "), args, nil
}
