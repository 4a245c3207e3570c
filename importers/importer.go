package importers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"riskmap"
	"riskmap/features"
	"riskmap/geo"
	"riskmap/postgres"
)

// MaxProblems caps the problems a report lists (the counts stay exact).
const MaxProblems = 10000

// Importer loads files into the feature layers.
type Importer struct {
	pool   *pgxpool.Pool
	store  *features.Store
	layers features.Registry
}

// New returns an importer over pool.
func New(pool *pgxpool.Pool) *Importer {
	st := features.NewStore(pool)
	return &Importer{pool: pool, store: st, layers: st.Layers}
}

// Progress is what a running import reports.
type Progress struct {
	Phase    string  `json:"phase"` // reading, checking, loading, done
	Fraction float64 `json:"fraction"`
	Rows     int     `json:"rows"`
	Applied  int     `json:"applied"`
}

// Report is the outcome of an import.
type Report struct {
	JobID     int64  `json:"job_id"`
	Layer     string `json:"layer"`
	File      string `json:"file"`
	Format    Format `json:"format"`
	CRS       string `json:"crs"`
	Encoding  string `json:"encoding,omitempty"`
	Rows      int    `json:"rows"`
	Valid     int    `json:"valid"`
	Rejected  int    `json:"rejected"`
	Inserted  int    `json:"inserted"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Applied   bool   `json:"applied"` // whether the layer was written to
	// Bulk says the rows were loaded in bulk (BulkMode): one transaction,
	// the layer's secondary indexes built again at its end.
	Bulk     bool      `json:"bulk,omitempty"`
	Problems []Problem `json:"problems"`
	// ProblemsTruncated is set when more than MaxProblems were found.
	ProblemsTruncated bool     `json:"problems_truncated,omitempty"`
	Warnings          []string `json:"warnings"`
	// Error is a problem with the file as a whole (truncated, unreadable):
	// nothing was loaded.
	Error   string  `json:"error,omitempty"`
	Seconds float64 `json:"seconds"`
	// Rejects is the rejected rows in the input's format (SkipInvalid only).
	Rejects *File `json:"-"`
}

// File is a file the import produced.
type File struct {
	Name        string
	ContentType string
	Data        []byte
}

// Failed reports whether anything was rejected (the command exits 1).
func (r *Report) Failed() bool { return r.Rejected > 0 || r.Error != "" }

type rowSet struct{ bits []uint64 }

func (s *rowSet) add(i int) {
	for i/64 >= len(s.bits) {
		s.bits = append(s.bits, 0)
	}
	s.bits[i/64] |= 1 << (i % 64)
}

func (s *rowSet) has(i int) bool { return i/64 < len(s.bits) && s.bits[i/64]&(1<<(i%64)) != 0 }

// Run imports the file at path (name is its original name) as job jobID,
// which must exist in import_jobs. It returns a report for anything the
// file's content caused; an error only for faults of the system. The
// import goes through its stages in order (importRun): open the file and
// prepare, read and check each row in Go into a staging table, check the
// staged rows in SQL, write the valid ones to the layer; a stage that
// settles the report (the file unreadable, rows rejected) ends it.
func (im *Importer) Run(ctx context.Context, jobID int64, path, name string, opts Options, onProgress func(Progress)) (*Report, error) {
	if onProgress == nil {
		onProgress = func(Progress) {}
	}
	x := &importRun{im: im, jobID: jobID, path: path, name: name, opts: opts, onProgress: onProgress, start: time.Now()}
	defer x.close()
	for _, stage := range []func(context.Context) (bool, error){x.open, x.read, x.checkStaged, x.write} {
		done, err := stage(ctx)
		if err != nil {
			return nil, err
		}
		if done {
			break
		}
	}
	x.rep.Seconds = time.Since(x.start).Seconds()
	return x.rep, nil
}

// importRun is one import going through Run's stages. Each stage returns
// done when the report is settled and the import ends there.
type importRun struct {
	im         *Importer
	jobID      int64
	path, name string
	opts       Options
	onProgress func(Progress)
	start      time.Time

	l        *features.Layer
	rep      *Report
	format   Format
	forced   *SourceCRS
	r        Reader
	v        *validator
	stage    string // the staging table, once made
	src      *copySource
	rejected *rowSet
	closers  []func()
}

func (x *importRun) close() {
	for i := len(x.closers) - 1; i >= 0; i-- {
		x.closers[i]()
	}
}

// open checks the options against the layer, opens the file and makes the
// validator and the staging table.
func (x *importRun) open(ctx context.Context) (bool, error) {
	im, opts := x.im, x.opts
	l, ok := im.layers[opts.Layer]
	if !ok {
		return false, riskmap.Errorf(riskmap.EINVALID, "unknown layer %q: want one of %s", opts.Layer, strings.Join(im.layers.Names(), ", "))
	}
	x.l = l
	x.rep = &Report{JobID: x.jobID, Layer: l.Name, File: filepath.Base(x.name), Problems: []Problem{}, Warnings: []string{}}
	if opts.Bulk == BulkOn {
		if l.Geometry != "Point" {
			x.rep.Warnings = append(x.rep.Warnings, "bulk: applies to point layers; "+l.Name+" is always written in one transaction")
		} else if _, err := im.useBulk(ctx, l, BulkOn, 0); err != nil {
			return false, err // before reading the whole file
		}
	}
	x.format = opts.Format
	if x.format == "" {
		f, err := DetectFormat(x.path, x.name)
		if err != nil {
			x.rep.Error = err.Error()
			return true, nil
		}
		x.format = f
	}
	x.rep.Format = x.format
	var err error
	if x.forced, err = opts.forcedCRS(); err != nil {
		return false, err
	}
	if x.r, err = Open(x.path, x.format, opts); err != nil {
		x.rep.Error = err.Error()
		return true, nil
	}
	x.closers = append(x.closers, func() { x.r.Close() })

	bounds, err := im.store.CityBounds(ctx)
	if err != nil {
		return false, err
	}
	var grids *geo.GridIndex
	if l.Placed {
		if grids, err = im.gridIndex(ctx); err != nil {
			return false, err
		}
	}
	cols, err := im.tableColumns(ctx, l.Name)
	if err != nil {
		return false, err
	}
	x.v = newValidator(l, WGS84, bounds, grids, opts.Mapping, opts.Ignore, cols)
	stage := fmt.Sprintf("import_stage_%d", x.jobID)
	if err := im.createStage(ctx, stage, l); err != nil {
		return false, err
	}
	x.stage = stage
	x.closers = append(x.closers, func() {
		_, _ = im.pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+stage)
	})
	return false, nil
}

// read reads the file, checks each row in Go and copies the good ones
// into the staging table, noting the others' problems.
func (x *importRun) read(ctx context.Context) (bool, error) {
	rep, v := x.rep, x.v
	x.rejected = &rowSet{}
	src := &copySource{r: x.r, v: v, rep: rep, rejected: x.rejected, onProgress: x.onProgress, forced: x.forced}
	x.closers = append(x.closers, src.close)
	copyCols := []string{"rn", "key", "present"}
	for _, f := range x.l.Fields {
		copyCols = append(copyCols, f.Name)
	}
	copyCols = append(copyCols, "wkb", "grid")
	if _, err := x.im.pool.CopyFrom(ctx, pgx.Identifier{x.stage}, copyCols, src); err != nil {
		if src.fileErr != nil {
			rep.Error = src.fileErr.Error()
			rep.Warnings = append(rep.Warnings, v.warnings...)
			rep.Rejected = rep.Rows
			return true, nil
		}
		return false, fmt.Errorf("stage rows: %w", postgres.Translate(err))
	}
	rep.CRS = v.crs.String()
	rep.Encoding = readerEncoding(x.r)
	rep.Warnings = append(append(rep.Warnings, src.warnings...), v.warnings...)
	if rep.Rows == 0 {
		rep.Error = "the file holds no rows"
	}
	if msg := v.columnProblem(); msg != "" && rep.Error == "" {
		rep.Error = msg
	}
	x.src = src // checkStaged adds the problems found in SQL to the same rows'
	return false, nil
}

// checkStaged runs the checks that need the database (duplicates, places,
// references) over the staged rows; any rejected row ends the import
// unless the options say to skip them.
func (x *importRun) checkStaged(ctx context.Context) (bool, error) {
	rep := x.rep
	x.onProgress(Progress{Phase: "checking", Fraction: 0, Rows: rep.Rows})
	if err := x.im.check(ctx, x.stage, x.l, x.v); err != nil {
		return false, err
	}
	sqlProblems, err := x.im.stagedProblems(ctx, x.stage)
	if err != nil {
		return false, err
	}
	for _, p := range sqlProblems {
		x.src.problem(p)
	}
	sort.SliceStable(rep.Problems, func(i, j int) bool { return rep.Problems[i].Row < rep.Problems[j].Row })
	if err := x.im.pool.QueryRow(ctx, "SELECT count(*) FROM "+x.stage+" WHERE problem IS NULL").Scan(&rep.Valid); err != nil {
		return false, fmt.Errorf("count staged rows: %w", err)
	}
	rep.Rejected = rep.Rows - rep.Valid
	return rep.Error != "" || (rep.Rejected > 0 && !x.opts.SkipInvalid), nil
}

// write applies the valid rows to the layer and, when rows were skipped,
// writes them out for fixing.
func (x *importRun) write(ctx context.Context) (bool, error) {
	rep := x.rep
	if err := x.im.apply(ctx, x.jobID, x.stage, x.l, x.v, x.opts, rep, x.rejected, x.onProgress); err != nil {
		return false, err
	}
	rep.Unchanged = rep.Valid - rep.Inserted - rep.Updated
	rep.Applied = rep.Inserted+rep.Updated > 0
	if x.opts.SkipInvalid && rep.Rejected > 0 {
		f, err := x.im.rejects(x.path, x.name, x.format, x.opts, x.rejected)
		if err != nil {
			rep.Warnings = append(rep.Warnings, "the rejected rows could not be written: "+err.Error())
		}
		rep.Rejects = f
	}
	x.onProgress(Progress{Phase: "done", Fraction: 1, Rows: rep.Rows, Applied: rep.Valid})
	return true, nil
}

func readerEncoding(r Reader) string {
	switch x := r.(type) {
	case *csvReader:
		return x.encoding
	case *shpReader:
		return x.encoding
	}
	return ""
}

// copySource feeds validated rows to COPY, collecting the others' problems.
// The rows are read and checked by a checkPipeline, ahead of COPY.
type copySource struct {
	r          Reader
	v          *validator
	rep        *Report
	rejected   *rowSet
	onProgress func(Progress)
	forced     *SourceCRS
	pipe       *checkPipeline
	chunk      *checkChunk
	i          int
	cur        []any
	fileErr    error
	warnings   []string
	lastReport time.Time
}

func (c *copySource) problem(p Problem) {
	if !c.rejected.has(p.Row) {
		c.rejected.add(p.Row)
	}
	if len(c.rep.Problems) < MaxProblems {
		c.rep.Problems = append(c.rep.Problems, p)
	} else {
		c.rep.ProblemsTruncated = true
	}
}

// begin settles the coordinate system once the first record is read (a
// Shapefile's .prj or a GeoJSON crs member is known only then).
func (c *copySource) begin() {
	declared, ok := c.r.Declared()
	switch {
	case c.forced != nil:
		c.v.crs = *c.forced
		if ok && declared != *c.forced {
			c.warnings = append(c.warnings, fmt.Sprintf("the file says its coordinates are %s; read as %s as asked", declared, c.forced))
		}
	case ok:
		c.v.crs = declared
	default:
		c.v.crs = WGS84
	}
	if c.v.crs.Projected() {
		c.v.grids = nil // placed in SQL after the transform
	}
}

// close stops the reading when COPY ended early.
func (c *copySource) close() {
	if c.pipe != nil {
		c.pipe.stop()
	}
}

func (c *copySource) Next() bool {
	if c.pipe == nil {
		c.pipe = startChecks(c.r, c.v, c.begin)
	}
	for {
		if c.chunk == nil || c.i >= len(c.chunk.recs) {
			if c.chunk != nil && c.chunk.end != nil {
				if !errors.Is(c.chunk.end, io.EOF) {
					c.fileErr = c.chunk.end
					return false
				}
				c.onProgress(Progress{Phase: "reading", Fraction: 1, Rows: c.rep.Rows})
				return false
			}
			if c.chunk = c.pipe.next(); c.chunk == nil {
				return false
			}
			c.i = 0
			continue
		}
		i := c.i
		c.i++
		c.rep.Rows++
		if c.rep.Rows%5000 == 0 && time.Since(c.lastReport) > 200*time.Millisecond {
			c.lastReport = time.Now()
			c.onProgress(Progress{Phase: "reading", Fraction: c.chunk.progress, Rows: c.rep.Rows})
		}
		s, probs := c.chunk.staged[i], c.chunk.problems[i]
		if len(probs) > 0 {
			for _, p := range probs {
				c.problem(p)
			}
			continue
		}
		vals := make([]any, 0, len(s.values)+5)
		vals = append(vals, int32(s.row), s.key, s.present)
		vals = append(vals, s.values...)
		var grid any
		if s.grid != "" {
			grid = s.grid
		}
		c.cur = append(vals, s.wkb, grid)
		return true
	}
}

func (c *copySource) Values() ([]any, error) { return c.cur, nil }
func (c *copySource) Err() error             { return c.fileErr }

func sqlType(k features.Kind) string {
	switch k {
	case features.Int, features.IntEnum:
		return "integer"
	case features.Numeric:
		return "numeric"
	case features.Date:
		return "date"
	case features.Bool:
		return "boolean"
	}
	return "text"
}

func (im *Importer) createStage(ctx context.Context, stage string, l *features.Layer) error {
	defs := []string{"rn integer NOT NULL", "key text", "present bigint NOT NULL"}
	for _, f := range l.Fields {
		defs = append(defs, f.Name+" "+sqlType(f.Kind))
	}
	defs = append(defs, "wkb bytea", "grid text", "geom geometry", "problem_field text", "problem text")
	_, err := im.pool.Exec(ctx, "DROP TABLE IF EXISTS "+stage+"; CREATE UNLOGGED TABLE "+stage+" ("+strings.Join(defs, ", ")+")")
	if err != nil {
		return fmt.Errorf("create staging table: %w", err)
	}
	return nil
}

func (im *Importer) tableColumns(ctx context.Context, table string) (map[string]column, error) {
	rows, err := im.pool.Query(ctx, `SELECT a.attname, a.attnotnull, coalesce(pg_get_expr(d.adbin, d.adrelid), '')
		FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''`, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]column{}
	for rows.Next() {
		var n, def string
		var nn bool
		if err := rows.Scan(&n, &nn, &def); err != nil {
			return nil, err
		}
		out[n] = column{notNull: nn, defaultSQL: def}
	}
	return out, rows.Err()
}

func (im *Importer) gridIndex(ctx context.Context) (*geo.GridIndex, error) {
	rows, err := im.pool.Query(ctx, "SELECT code, ST_AsBinary(geom) FROM grids")
	if err != nil {
		return nil, fmt.Errorf("load grids: %w", err)
	}
	defer rows.Close()
	var gs []geo.Grid
	for rows.Next() {
		var code string
		var b []byte
		if err := rows.Scan(&code, &b); err != nil {
			return nil, err
		}
		g, err := wkb.Unmarshal(b)
		if err != nil {
			return nil, fmt.Errorf("grid %s: %w", code, err)
		}
		mp, ok := g.(orb.MultiPolygon)
		if !ok {
			continue
		}
		gs = append(gs, geo.Grid{Code: code, Shape: mp})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return geo.NewGridIndex(gs), nil
}

func (im *Importer) stagedProblems(ctx context.Context, stage string) ([]Problem, error) {
	rows, err := im.pool.Query(ctx, "SELECT rn, coalesce(key, ''), problem_field, problem FROM "+stage+" WHERE problem IS NOT NULL ORDER BY rn LIMIT $1", MaxProblems+1)
	if err != nil {
		return nil, fmt.Errorf("read staged problems: %w", err)
	}
	defer rows.Close()
	var out []Problem
	for rows.Next() {
		var p Problem
		if err := rows.Scan(&p.Row, &p.ExternalID, &p.Field, &p.Reason); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// rejects re-reads the file and writes the rejected rows in its format.
func (im *Importer) rejects(path, name string, format Format, opts Options, rejected *rowSet) (*File, error) {
	r, err := Open(path, format, opts)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var raws []*Record
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if rejected.has(rec.Row) {
			raws = append(raws, rec)
		}
	}
	tmp, err := os.CreateTemp("", "riskmap-rejects-*")
	if err != nil {
		return nil, err
	}
	tmpName := tmp.Name()
	tmp.Close()
	os.Remove(tmpName)
	defer os.Remove(tmpName)
	f, err := writeRejects(r, raws, name, tmpName)
	if err != nil {
		return nil, err
	}
	return f, nil
}
