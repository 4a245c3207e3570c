// Package roads holds the road network that coverage routes over: import
// from OpenStreetMap (.osm.pbf) or GeoJSON lines with a road class, the
// speeds per class, the routing topology for pgRouting, and a generated
// network for cities without one (the demo city, the benchmark).
//
// The network lives in the tables roads (edges: a line between two
// junctions, with class, oneway, length), road_vertices (junctions) and
// road_speeds (km/h per class), and the view road_edges (cost and
// reverse_cost in seconds, as pgRouting reads them); see
// migrations/400_coverage.sql.
package roads

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/geo"
)

// DB is a pool or a transaction.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Format is the kind of file imported.
type Format string

const (
	FormatPBF     Format = "osm.pbf" // OpenStreetMap PBF
	FormatGeoJSON Format = "geojson" // a FeatureCollection of lines with a class
)

// FormatOf tells the format from a file name: .osm.pbf or .pbf, .geojson or .json.
func FormatOf(name string) (Format, error) {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".pbf"):
		return FormatPBF, nil
	case strings.HasSuffix(n, ".geojson"), strings.HasSuffix(n, ".json"):
		return FormatGeoJSON, nil
	}
	return "", riskmap.Errorf(riskmap.EINVALID, "road network %s: want an OpenStreetMap .osm.pbf file or GeoJSON lines (.geojson)", filepath.Base(name))
}

// Options of an import.
type Options struct {
	// CRS of GeoJSON coordinates (default WGS-84); OSM is always WGS-84.
	CRS geo.CRS
	// SkipInvalid imports the valid features and reports the others;
	// without it one invalid feature refuses the whole file.
	SkipInvalid bool
	// Append adds the file's roads to the network; by default the file
	// replaces it (a network is imported whole, so importing the same file
	// twice leaves one copy).
	Append bool
	// Speeds set (or add) km/h for road classes before the import, in the
	// same transaction; classes without a speed are not imported (OSM) or
	// refused (GeoJSON).
	Speeds Speeds
}

// Report says what an import did.
type Report struct {
	Format   Format `json:"format"`
	Lines    int    `json:"lines"`    // ways or line features read as roads
	Edges    int    `json:"edges"`    // stored, after splitting at junctions
	Replaced int    `json:"replaced"` // edges of the previous network removed
	// Network after the import: junctions, connected pieces, and the
	// junctions points may start from (those of the large pieces).
	Vertices         int64 `json:"vertices"`
	Components       int64 `json:"components"`
	RoutableVertices int64 `json:"routable_vertices"`
	// KmByClass is the length stored per class.
	KmByClass map[string]float64 `json:"km_by_class"`
	// Ignored counts what the file held that is not a road for vehicles
	// (OSM ways by highway value), or node references the file lacks.
	Ignored map[string]int `json:"ignored,omitempty"`
	// Rejected lists the invalid features (with SkipInvalid; without it
	// they are the error's details and nothing is stored).
	Rejected []riskmap.Detail `json:"rejected,omitempty"`
}

// importLock serialises imports, generation and topology rebuilds (the same
// key riskmap_roads_topology takes).
const importLock = 72417400

// Import reads a road network from r and stores it in one transaction:
// nothing is stored if anything fails (or, without SkipInvalid, if any
// feature is invalid). The topology is rebuilt before it commits.
func Import(ctx context.Context, pool *pgxpool.Pool, r io.Reader, format Format, opts Options) (Report, error) {
	rep := Report{Format: format, Ignored: map[string]int{}, KmByClass: map[string]float64{}}
	if opts.CRS == "" {
		opts.CRS = geo.CRSWGS84
	}
	if err := opts.Speeds.Check(); err != nil {
		return rep, err
	}
	speeds, err := LoadSpeeds(ctx, pool)
	if err != nil {
		return rep, err
	}
	for c, v := range opts.Speeds {
		speeds[c] = v
	}
	var lines []*Line
	switch format {
	case FormatPBF:
		if opts.CRS != geo.CRSWGS84 && opts.CRS != geo.CRSCGCS2000 {
			return rep, riskmap.Errorf(riskmap.EINVALID, "crs %s: OpenStreetMap files are always WGS-84", opts.CRS)
		}
		res, err := readOSM(r, speeds)
		if err != nil {
			return rep, riskmap.Errorf(riskmap.EUNPROCESSABLE, "OpenStreetMap PBF: %v", err)
		}
		lines = res.lines
		rep.Ignored = res.ignored
		if res.missing > 0 {
			rep.Ignored["node references missing from the file (ways cut there)"] = res.missing
		}
	case FormatGeoJSON:
		var bad []riskmap.Detail
		lines, bad, err = readGeoJSON(r, opts.CRS, speeds)
		if err != nil {
			return rep, err
		}
		if len(bad) > 0 && !opts.SkipInvalid {
			shown := bad
			if len(shown) > 100 {
				shown = shown[:100]
			}
			return rep, riskmap.Errorf(riskmap.EUNPROCESSABLE, "%d of %d road features are invalid (nothing imported; --skip-invalid imports the others): first: %s",
				len(bad), len(bad)+countRows(lines), bad[0].Message).WithDetails(shown...)
		}
		rep.Rejected = bad
	default:
		return rep, riskmap.Errorf(riskmap.EINVALID, "road network format %q: want %s or %s", format, FormatPBF, FormatGeoJSON)
	}
	rep.Lines = len(lines)
	edges := split(lines)
	if len(edges) == 0 {
		return rep, riskmap.Errorf(riskmap.EUNPROCESSABLE, "the file holds no road for vehicles (ignored: %s)", describe(rep.Ignored))
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", importLock); err != nil {
			return err
		}
		if len(opts.Speeds) > 0 {
			if err := SaveSpeeds(ctx, tx, opts.Speeds); err != nil {
				return err
			}
		}
		if !opts.Append {
			tag, err := tx.Exec(ctx, "DELETE FROM roads")
			if err != nil {
				return fmt.Errorf("roads: clear: %w", err)
			}
			rep.Replaced = int(tag.RowsAffected())
		}
		if err := insertEdges(ctx, tx, edges); err != nil {
			return err
		}
		rep.Edges = len(edges)
		if err := rebuild(ctx, tx, &rep); err != nil {
			return err
		}
		return classLengths(ctx, tx, &rep)
	})
	if err != nil {
		return rep, err
	}
	return rep, nil
}

func countRows(lines []*Line) int {
	seen := map[string]bool{}
	for _, l := range lines {
		seen[l.Ref] = true
	}
	return len(seen)
}

func describe(m map[string]int) string {
	if len(m) == 0 {
		return "nothing"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, "; ")
}

// insertEdges stores edges in batches (arrays unnested server-side: one
// round trip per batch, the length computed by the table's trigger).
func insertEdges(ctx context.Context, tx pgx.Tx, edges []Edge) error {
	const batch = 5000
	for start := 0; start < len(edges); start += batch {
		end := min(start+batch, len(edges))
		n := end - start
		refs, names, classes := make([]string, n), make([]*string, n), make([]string, n)
		oneways := make([]int16, n)
		speeds := make([]*float64, n)
		wkts := make([]string, n)
		for i, e := range edges[start:end] {
			refs[i] = e.Line.Ref
			if e.Line.Name != "" {
				name := e.Line.Name
				names[i] = &name
			}
			classes[i] = e.Line.Class
			oneways[i] = int16(e.Line.Oneway)
			speeds[i] = e.Line.MaxSpeed
			wkts[i] = lineWKT(e.Coords)
		}
		_, err := tx.Exec(ctx, `INSERT INTO roads (source_ref, name, class, oneway, maxspeed_kmh, geom)
			SELECT r, n, c, o, s, ST_GeomFromText(w, 4326)
			  FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::float8[], $6::text[]) AS u(r, n, c, o, s, w)`,
			refs, names, classes, oneways, speeds, wkts)
		if err != nil {
			return fmt.Errorf("roads: store edges %d–%d: %w", start+1, end, err)
		}
	}
	return nil
}

// lineWKT writes coordinates with the 7 decimals of the lattice, so the
// database holds exactly the lattice points the topology joins on.
func lineWKT(c [][2]float64) string {
	var b strings.Builder
	b.WriteString("LINESTRING(")
	for i, p := range c {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%.7f %.7f", p[0], p[1])
	}
	b.WriteByte(')')
	return b.String()
}

// rebuild recomputes the topology (riskmap_roads_topology) in tx.
func rebuild(ctx context.Context, tx DB, rep *Report) error {
	var edges int64
	err := tx.QueryRow(ctx, "SELECT vertices, edges, components, routable_vertices FROM riskmap_roads_topology()").
		Scan(&rep.Vertices, &edges, &rep.Components, &rep.RoutableVertices)
	if err != nil {
		return fmt.Errorf("roads: topology: %w", NoPgRouting(err))
	}
	return nil
}

func classLengths(ctx context.Context, tx DB, rep *Report) error {
	rows, err := tx.Query(ctx, "SELECT class, round((sum(length_m) / 1000)::numeric, 1)::float8 FROM roads GROUP BY class")
	if err != nil {
		return fmt.Errorf("roads: lengths: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		var km float64
		if err := rows.Scan(&c, &km); err != nil {
			return err
		}
		rep.KmByClass[c] = km
	}
	return rows.Err()
}

// NoPgRouting turns the error of a missing pgRouting function into one that
// says what to install; other errors pass unchanged.
func NoPgRouting(err error) error {
	if pgErrCode(err) == "42883" && strings.Contains(err.Error(), "pgr_") { // undefined function
		return &riskmap.Error{Code: riskmap.EUNAVAILABLE, Err: err,
			Message: "pgRouting is not installed in the database: install postgresql-15-pgrouting (make deps) and run CREATE EXTENSION pgrouting"}
	}
	return err
}

func pgErrCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// Rebuild recomputes the topology (after roads were edited by hand, say in
// QGIS) and reports the network.
func Rebuild(ctx context.Context, pool *pgxpool.Pool) (Report, error) {
	rep := Report{KmByClass: map[string]float64{}}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := rebuild(ctx, tx, &rep); err != nil {
			return err
		}
		return classLengths(ctx, tx, &rep)
	})
	return rep, err
}
