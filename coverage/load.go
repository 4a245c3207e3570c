package coverage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap"
)

// Facilities are the stations or depots that cover.
const (
	FacilityStations = "stations"
	FacilityDepots   = "depots"
)

// StationKinds are the kinds of emergency station (docs/domain.md).
var StationKinds = []string{"office", "rescue_team", "platform"}

// points is a set of positions with ids, columnar.
type points struct {
	ids      []int64
	lon, lat []float64
}

func (p *points) add(id int64, lon, lat float64) {
	p.ids = append(p.ids, id)
	p.lon = append(p.lon, lon)
	p.lat = append(p.lat, lat)
}

func (p *points) len() int { return len(p.ids) }

// facilitySet holds the active facilities of the kind asked, wherever they
// lie: coverage does not stop at the user's scope.
type facilitySet struct {
	points
	names []string
}

func (s *Service) loadFacilities(ctx context.Context, tx pgx.Tx, facility, kind string) (facilitySet, error) {
	var sql string
	switch facility {
	case FacilityStations:
		sql = "SELECT id, name, ST_X(geom), ST_Y(geom) FROM stations WHERE status = 'active' AND ($1 = '' OR kind = $1) ORDER BY id"
	case FacilityDepots:
		sql = "SELECT id, name, ST_X(geom), ST_Y(geom) FROM depots WHERE status = 'active' AND $1 = '' ORDER BY id"
	default:
		return facilitySet{}, riskmap.Errorf(riskmap.EINVALID, "facility %q: want stations or depots", facility)
	}
	var f facilitySet
	rows, err := tx.Query(ctx, sql, kind)
	if err != nil {
		return f, fmt.Errorf("coverage: facilities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		var lon, lat float64
		if err := rows.Scan(&id, &name, &lon, &lat); err != nil {
			return f, fmt.Errorf("coverage: facilities: %w", err)
		}
		f.add(id, lon, lat)
		f.names = append(f.names, name)
	}
	return f, rows.Err()
}

// gridSet holds the grids in scope and area.
type gridSet struct {
	points   // representative points
	codes    []string
	names    []string
	township []string
	pop      []int64
	areaM2   []float64
}

// loadGrids reads the grids the user sees inside the area, with their
// representative point and their area on the sphere.
func (s *Service) loadGrids(ctx context.Context, tx pgx.Tx, sc riskmap.Scope, a area) (gridSet, error) {
	cond, args := sc.SQL("t.code", 2)
	sql := `SELECT t.id, t.code, t.name, t.township_code, t.population, riskmap_area_m2(t.geom), ST_X(p.pt), ST_Y(p.pt)
	          FROM grids t CROSS JOIN LATERAL (SELECT ST_PointOnSurface(t.geom) AS pt) p
	         WHERE t.code LIKE $1 AND ` + cond + ` ORDER BY t.code`
	var g gridSet
	rows, err := tx.Query(ctx, sql, append([]any{a.prefix}, args...)...)
	if err != nil {
		return g, fmt.Errorf("coverage: grids: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, pop int64
		var code, name, twp string
		var m2, lon, lat float64
		if err := rows.Scan(&id, &code, &name, &twp, &pop, &m2, &lon, &lat); err != nil {
			return g, fmt.Errorf("coverage: grids: %w", err)
		}
		g.add(id, lon, lat)
		g.codes = append(g.codes, code)
		g.names = append(g.names, name)
		g.township = append(g.township, twp)
		g.pop = append(g.pop, pop)
		g.areaM2 = append(g.areaM2, m2)
	}
	return g, rows.Err()
}

// pointSet holds active risk points or hazard sources in scope and area.
type pointSet struct {
	points
	level []int16 // risk level, or major-hazard level (0: none)
	grid  []int64 // the 15-digit grid code as a number: no pointers for the GC to chase
}

// gridCode is the text of a grid code held as a number.
func gridCode(g int64) string { return fmt.Sprintf("%015d", g) }

// loadPoints reads the active points of table (risk_points or
// hazard_sources, a fixed name) in scope and area. Names are read later,
// only for the points listed.
func (s *Service) loadPoints(ctx context.Context, tx pgx.Tx, table string, sc riskmap.Scope, a area) (pointSet, error) {
	level := "t.risk_level"
	if table == "hazard_sources" {
		level = "coalesce(t.major_hazard_level, 0)::smallint"
	} else if table != "risk_points" {
		return pointSet{}, fmt.Errorf("coverage: no point table %q", table)
	}
	cond, args := sc.SQL("t.grid_code", 2)
	// in no particular order: what is listed is sorted afterwards
	sql := `SELECT t.id, ` + level + `, t.grid_code::int8, ST_X(t.geom), ST_Y(t.geom) FROM ` + table + ` t
	         WHERE t.status = 'active' AND t.grid_code LIKE $1 AND ` + cond
	var p pointSet
	rows, err := tx.Query(ctx, sql, append([]any{a.prefix}, args...)...)
	if err != nil {
		return p, fmt.Errorf("coverage: %s: %w", table, err)
	}
	defer rows.Close()
	// a city has hundreds of thousands of points: their binary values are
	// read straight off the wire, without Scan's per-value dispatch
	allBinary := true
	for _, f := range rows.FieldDescriptions() {
		allBinary = allBinary && f.Format == pgx.BinaryFormatCode
	}
	for rows.Next() {
		var id, grid int64
		var lvl int16
		var lon, lat float64
		if raw := rows.RawValues(); allBinary && len(raw) == 5 && len(raw[0]) == 8 && len(raw[1]) == 2 && len(raw[2]) == 8 && len(raw[3]) == 8 && len(raw[4]) == 8 {
			id = int64(be.Uint64(raw[0]))
			lvl = int16(be.Uint16(raw[1]))
			grid = int64(be.Uint64(raw[2]))
			lon = math.Float64frombits(be.Uint64(raw[3]))
			lat = math.Float64frombits(be.Uint64(raw[4]))
		} else if err := rows.Scan(&id, &lvl, &grid, &lon, &lat); err != nil {
			return p, fmt.Errorf("coverage: %s: %w", table, err)
		}
		p.add(id, lon, lat)
		p.level = append(p.level, lvl)
		p.grid = append(p.grid, grid)
	}
	if err := rows.Err(); err != nil {
		return p, fmt.Errorf("coverage: %s: %w", table, err)
	}
	return p, nil
}

var be = binary.BigEndian

// names reads the names of the listed points of table.
func (s *Service) names(ctx context.Context, tx pgx.Tx, table string, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	if table != "risk_points" && table != "hazard_sources" {
		return nil, fmt.Errorf("coverage: no point table %q", table)
	}
	rows, err := tx.Query(ctx, "SELECT id, name FROM "+table+" WHERE id = ANY($1)", ids)
	if err != nil {
		return nil, fmt.Errorf("coverage: %s names: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// townshipNames reads the names of township codes.
func (s *Service) townshipNames(ctx context.Context, tx pgx.Tx, codes []string) (map[string]string, error) {
	out := map[string]string{}
	rows, err := tx.Query(ctx, "SELECT code, name FROM areas WHERE code = ANY($1)", codes)
	if err != nil {
		return nil, fmt.Errorf("coverage: township names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c, n string
		if err := rows.Scan(&c, &n); err != nil {
			return nil, err
		}
		out[c] = n
	}
	return out, rows.Err()
}

var snapshotID = regexp.MustCompile(`^[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+$`)

// aside starts fn (reading: the bulk of an answer's queries) on a second
// connection that shares tx's snapshot (pg_export_snapshot), so that it
// overlaps the rest of the work; the returned function waits for it. If no
// connection is free at once, fn runs on tx when waited for: an answer
// never waits for the pool, so answers that each hold a connection cannot
// deadlock.
func (s *Service) aside(ctx context.Context, tx pgx.Tx, fn func(pgx.Tx) error) func() error {
	onTx := func() error { return fn(tx) }
	var snap string
	if err := tx.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&snap); err != nil || !snapshotID.MatchString(snap) {
		return onTx
	}
	actx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	// on the server of tx (the primary or the standby)
	conn, err := s.reads.PoolOf(unwrap(tx)).Acquire(actx)
	cancel()
	if err != nil {
		return onTx
	}
	done := make(chan error, 1)
	go func() {
		defer conn.Release()
		done <- pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(side pgx.Tx) error {
			// the snapshot must be the transaction's first statement
			if _, err := side.Exec(ctx, "SET TRANSACTION SNAPSHOT '"+snap+"'"); err != nil {
				return errNotShared
			}
			if _, err := side.Exec(ctx, "SET LOCAL jit = off"); err != nil {
				return err
			}
			return fn(side)
		})
	}()
	return func() error {
		if err := <-done; err != errNotShared {
			return err
		}
		return onTx()
	}
}

// errNotShared: the snapshot could not be imported on the second
// connection (a server other than tx's answered the standby's address),
// so the work runs on tx instead.
var errNotShared = errors.New("coverage: snapshot not shared")
