package importers

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net/url"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	_ "modernc.org/sqlite" // GeoPackage is SQLite: read and written in pure Go
)

// gpkgReader streams the features of one table of a GeoPackage.
type gpkgReader struct {
	db       *sql.DB
	rows     *sql.Rows
	table    string
	geomCol  string
	cols     []string
	colTypes []string
	geomIdx  int
	total    int64
	row      int
	declared *SourceCRS
}

// gpkgRaw is a row as read, for writing rejected rows back.
type gpkgRaw struct {
	values []any
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func openSQLite(path string, readOnly bool) (*sql.DB, error) {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath()
	if readOnly {
		dsn += "?mode=ro"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

func openGPKG(path string, opts Options) (Reader, error) {
	db, err := openSQLite(path, true)
	if err != nil {
		return nil, err
	}
	r := &gpkgReader{db: db}
	if err := r.open(opts); err != nil {
		db.Close()
		return nil, err
	}
	return r, nil
}

func (r *gpkgReader) open(opts Options) error {
	rows, err := r.db.Query(`SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c
		JOIN gpkg_geometry_columns g ON g.table_name = c.table_name WHERE c.data_type = 'features' ORDER BY c.table_name`)
	if err != nil {
		return fmt.Errorf("not a GeoPackage (no gpkg_contents/gpkg_geometry_columns): %v", err)
	}
	type tbl struct {
		name, geom string
		srs        int
	}
	var tables []tbl
	for rows.Next() {
		var t tbl
		if err := rows.Scan(&t.name, &t.geom, &t.srs); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	var pick *tbl
	var names []string
	for i, t := range tables {
		names = append(names, t.name)
		if t.name == opts.Table || (opts.Table == "" && (len(tables) == 1 || t.name == opts.Layer)) {
			pick = &tables[i]
		}
	}
	if pick == nil {
		if len(tables) == 0 {
			return fmt.Errorf("the GeoPackage has no feature table")
		}
		return fmt.Errorf("the GeoPackage has tables %s: name one with --table", strings.Join(names, ", "))
	}
	r.table, r.geomCol = pick.name, pick.geom
	var org string
	var code int
	if err := r.db.QueryRow(`SELECT upper(organization), organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = ?`, pick.srs).Scan(&org, &code); err == nil && org == "EPSG" {
		if c, err := ParseCRS(fmt.Sprintf("EPSG:%d", code)); err == nil {
			r.declared = &c
		} else if opts.CRS == "" {
			return fmt.Errorf("the GeoPackage's coordinate system EPSG:%d is not one riskmap reads: give it with --crs", code)
		}
	}
	_ = r.db.QueryRow("SELECT count(*) FROM " + quoteIdent(r.table)).Scan(&r.total)
	cols, err := r.db.Query("SELECT name, upper(type) FROM pragma_table_info(?) ORDER BY cid", r.table)
	if err != nil {
		return err
	}
	r.geomIdx = -1
	for cols.Next() {
		var n, t string
		if err := cols.Scan(&n, &t); err != nil {
			cols.Close()
			return err
		}
		if n == r.geomCol {
			r.geomIdx = len(r.cols)
		}
		r.cols = append(r.cols, n)
		r.colTypes = append(r.colTypes, t)
	}
	cols.Close()
	if r.geomIdx < 0 {
		return fmt.Errorf("table %s has no column %s", r.table, r.geomCol)
	}
	quoted := make([]string, len(r.cols))
	for i, c := range r.cols {
		quoted[i] = quoteIdent(c)
	}
	r.rows, err = r.db.Query("SELECT " + strings.Join(quoted, ", ") + " FROM " + quoteIdent(r.table))
	return err
}

func (r *gpkgReader) Declared() (SourceCRS, bool) {
	if r.declared != nil {
		return *r.declared, true
	}
	return SourceCRS{}, false
}

func (r *gpkgReader) Progress() float64 {
	if r.total == 0 {
		return 1
	}
	return min(1, float64(r.row)/float64(r.total))
}

func (r *gpkgReader) Close() error {
	if r.rows != nil {
		r.rows.Close()
	}
	return r.db.Close()
}

func (r *gpkgReader) Next() (*Record, error) {
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return nil, fmt.Errorf("after row %d: %w", r.row, err)
		}
		return nil, io.EOF
	}
	vals := make([]any, len(r.cols))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := r.rows.Scan(ptrs...); err != nil {
		return nil, fmt.Errorf("row %d: %w", r.row+1, err)
	}
	r.row++
	rec := &Record{Row: r.row, Cells: make(map[string]any, len(vals)), Raw: gpkgRaw{values: vals}}
	for i, v := range vals {
		if i == r.geomIdx {
			b, _ := v.([]byte)
			if b == nil {
				rec.GeomErr = &RowError{Field: "geometry", Reason: "missing"}
				continue
			}
			g, err := DecodeGPKGGeometry(b)
			if err != nil {
				rec.GeomErr = &RowError{Field: "geometry", Reason: err.Error()}
			} else {
				rec.Geom = g
			}
			continue
		}
		if strings.EqualFold(r.cols[i], "fid") && strings.Contains(r.colTypes[i], "INT") {
			continue // the GeoPackage's own row id, not an attribute
		}
		rec.Cells[r.cols[i]] = v
	}
	return rec, nil
}

// DecodeGPKGGeometry reads a GeoPackage geometry blob: the GP header (with
// its optional envelope) and standard WKB.
func DecodeGPKGGeometry(b []byte) (orb.Geometry, error) {
	if len(b) < 8 || b[0] != 'G' || b[1] != 'P' {
		return nil, fmt.Errorf("not a GeoPackage geometry (no GP header)")
	}
	flags := b[3]
	envLen := map[byte]int{0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags>>1)&7]
	if 8+envLen > len(b) {
		return nil, fmt.Errorf("GeoPackage geometry cut short")
	}
	if flags&0x10 != 0 {
		return nil, fmt.Errorf("empty geometry")
	}
	g, err := wkb.Unmarshal(b[8+envLen:])
	if err != nil {
		return nil, fmt.Errorf("bad WKB: %v", err)
	}
	return g, nil
}

// EncodeGPKGGeometry writes g as a GeoPackage geometry blob (little endian,
// with an envelope unless g is a point).
func EncodeGPKGGeometry(g orb.Geometry, srsID int) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("GP")
	buf.WriteByte(0)
	_, isPoint := g.(orb.Point)
	flags := byte(0x01)
	if !isPoint {
		flags |= 1 << 1
	}
	buf.WriteByte(flags)
	_ = binary.Write(&buf, binary.LittleEndian, int32(srsID))
	if !isPoint {
		bd := g.Bound()
		for _, v := range []float64{bd.Min[0], bd.Max[0], bd.Min[1], bd.Max[1]} {
			_ = binary.Write(&buf, binary.LittleEndian, math.Float64bits(v))
		}
	}
	w, err := wkb.Marshal(g, binary.LittleEndian)
	if err != nil {
		return nil, err
	}
	buf.Write(w)
	return buf.Bytes(), nil
}

// GPKGColumn is one attribute column of a GeoPackage table to write.
type GPKGColumn struct {
	Name string
	Type string // TEXT, INTEGER, REAL, DATE, BOOLEAN, DATETIME
}

// GPKGWriter writes one feature table of a new GeoPackage file.
type GPKGWriter struct {
	db      *sql.DB
	tx      *sql.Tx
	stmt    *sql.Stmt
	table   string
	srsID   int
	bound   orb.Bound
	written int
}

const gpkgWGS84 = `GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]`

// NewGPKGWriter creates path (which must not exist) with the GeoPackage
// core tables and one feature table. srs is an EPSG code with its WKT
// definition (4326 when def is empty).
func NewGPKGWriter(path, table, geomType string, srsID int, srsDef string, cols []GPKGColumn) (*GPKGWriter, error) {
	db, err := openSQLite(path, false)
	if err != nil {
		return nil, err
	}
	if srsDef == "" {
		srsID, srsDef = 4326, gpkgWGS84
	}
	stmts := []string{
		"PRAGMA application_id = 1196444487",
		"PRAGMA user_version = 10200",
		"PRAGMA journal_mode = OFF",
		`CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
			organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)`,
		`INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', NULL),
			('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', NULL)`,
		`CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
			description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
			min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER REFERENCES gpkg_spatial_ref_sys(srs_id))`,
		`CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
			srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name))`,
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			db.Close()
			return nil, fmt.Errorf("create GeoPackage: %w", err)
		}
	}
	if _, err := db.Exec(`INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, 'EPSG', ?, ?, NULL)`, fmt.Sprintf("EPSG:%d", srsID), srsID, srsID, srsDef); err != nil {
		db.Close()
		return nil, err
	}
	defs := []string{"fid INTEGER PRIMARY KEY AUTOINCREMENT", "geom " + strings.ToUpper(geomType)}
	names := []string{"geom"}
	for _, c := range cols {
		defs = append(defs, quoteIdent(c.Name)+" "+c.Type)
		names = append(names, quoteIdent(c.Name))
	}
	if _, err := db.Exec("CREATE TABLE " + quoteIdent(table) + " (" + strings.Join(defs, ", ") + ")"); err != nil {
		db.Close()
		return nil, err
	}
	if _, err := db.Exec(`INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES (?, 'features', ?, ?)`, table, table, srsID); err != nil {
		db.Close()
		return nil, err
	}
	if _, err := db.Exec(`INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, ?, 0, 0)`, table, strings.ToUpper(geomType), srsID); err != nil {
		db.Close()
		return nil, err
	}
	tx, err := db.Begin()
	if err != nil {
		db.Close()
		return nil, err
	}
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ")
	stmt, err := tx.Prepare("INSERT INTO " + quoteIdent(table) + " (" + strings.Join(names, ", ") + ") VALUES (" + ph + ")")
	if err != nil {
		tx.Rollback()
		db.Close()
		return nil, err
	}
	return &GPKGWriter{db: db, tx: tx, stmt: stmt, table: table, srsID: srsID}, nil
}

// Write adds a feature; values follow the columns. g may be nil.
func (w *GPKGWriter) Write(g orb.Geometry, values ...any) error {
	var blob any
	if g != nil {
		b, err := EncodeGPKGGeometry(g, w.srsID)
		if err != nil {
			return err
		}
		blob = b
		if w.written == 0 {
			w.bound = g.Bound()
		} else {
			w.bound = w.bound.Union(g.Bound())
		}
	}
	return w.writeBlob(blob, values)
}

func (w *GPKGWriter) writeBlob(blob any, values []any) error {
	if _, err := w.stmt.Exec(append([]any{blob}, values...)...); err != nil {
		return fmt.Errorf("write GeoPackage row: %w", err)
	}
	w.written++
	return nil
}

// Close records the extent and commits.
func (w *GPKGWriter) Close() error {
	defer w.db.Close()
	w.stmt.Close()
	if w.written > 0 {
		if _, err := w.tx.Exec(`UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ? WHERE table_name = ?`,
			w.bound.Min[0], w.bound.Min[1], w.bound.Max[0], w.bound.Max[1], w.table); err != nil {
			w.tx.Rollback()
			return err
		}
	}
	return w.tx.Commit()
}
