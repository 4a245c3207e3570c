package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"riskmap"
	"riskmap/auth"
	"riskmap/blobs"
	"riskmap/importers"
)

const importUsage = `usage: riskmap import --layer LAYER [--crs wgs84|cgcs2000|gcj02|bd09|webmercator|EPSG:N] [--encoding utf-8|gbk]
                      [--skip-invalid] [--format geojson|csv|xlsx|shapefile|gpkg] [--map COLUMN=FIELD]... [--ignore COLUMN]... [--table T]
                      [--batch N] [--bulk auto|on|off] [--report FILE.json] [--rejects FILE] [--as USERNAME] [--blob-dir DIR] FILE
       riskmap import --layer roads [--crs wgs84|gcj02|bd09] [--skip-invalid] [--append] [--speeds CLASS=KMH,...] FILE.osm.pbf|FILE.geojson`

// errRejected makes the command exit 1 when any row was rejected.
var errRejected = errors.New("rows were rejected")

func runImport(ctx context.Context, logger *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	var reportPath, rejectsPath, as string
	// the import's options, as text for importers.ParseOptions
	raw := map[string][]string{}
	str := func(name, usage string) {
		fs.Func(strings.ReplaceAll(name, "_", "-"), usage, func(v string) error {
			raw[name] = append(raw[name], v)
			return nil
		})
	}
	str("layer", "layer: risk_points, hazard_sources, stations, depots, grids, areas, or roads (.osm.pbf or GeoJSON lines)")
	str("crs", "coordinate system of the file (default: its .prj / GeoPackage srs / GeoJSON crs, else wgs84)")
	str("encoding", "text encoding of CSV and DBF: utf-8 or gbk (default: from .cpg, else utf-8)")
	fs.BoolFunc("skip-invalid", "load the valid rows and write the rejected ones to a file in the input's format", func(v string) error {
		raw["skip_invalid"] = []string{v}
		return nil
	})
	str("format", "input format (default: detected)")
	str("map", "map a file column to a field, COLUMN=FIELD (repeatable, or comma-separated)")
	str("ignore", "leave out a file column that maps to no field, COLUMN (repeatable, or comma-separated); any other such column refuses the file")
	str("table", "GeoPackage table, when the file has several")
	str("batch", "rows per transaction (default 20000)")
	str("bulk", "load in one transaction with the layer's indexes built again at the end (point layers): auto (from 100,000 rows, when the file brings more rows than the layer holds), on or off (default auto); the layer is locked meanwhile")
	fs.StringVar(&reportPath, "report", "", "also write the full report as JSON to this file")
	fs.StringVar(&rejectsPath, "rejects", "", "where to write rejected rows with --skip-invalid (default FILE.rejected.EXT beside the input)")
	fs.StringVar(&as, "as", "", "the user the audit log names (default cli:$USER)")
	blobDir := fs.String("blob-dir", defaultBlobDir(), "where the job keeps the file imported, as the server keeps attachments (env RISKMAP_BLOB_DIR)")
	// --layer roads: the road network of coverage (package roads, cmd/riskmap/roads.go)
	roadSpeeds := fs.String("speeds", "", "with --layer roads: km/h per road class to set first, e.g. primary=60,track=10")
	roadAppend := fs.Bool("append", false, "with --layer roads: add to the network instead of replacing it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(raw["layer"]) == 0 || fs.NArg() != 1 {
		return fmt.Errorf("%s", importUsage)
	}
	path := fs.Arg(0)
	if raw["layer"][0] == "roads" {
		one := func(name string) string {
			if v := raw[name]; len(v) > 0 {
				return v[0]
			}
			return ""
		}
		return importRoads(ctx, logger, path, one("crs"), one("skip_invalid") == "true", *roadAppend, *roadSpeeds)
	}
	opts, err := importers.ParseOptions(raw)
	if err != nil {
		if d := riskmap.ErrorDetails(err); len(d) > 0 { // named by its flag
			return fmt.Errorf("--%s: %s", strings.ReplaceAll(d[0].Field, "_", "-"), d[0].Message)
		}
		return err
	}
	if _, err := os.Stat(path); err != nil {
		return err
	}
	pool, err := openMigrated(ctx, logger)
	if err != nil {
		return err
	}
	defer pool.Close()
	jobs := importers.NewJobs(pool, logger)
	if jobs.Originals, err = blobs.NewDir(*blobDir); err != nil {
		return fmt.Errorf("--blob-dir: %w", err)
	}
	if _, err := jobs.Reap(ctx, time.Minute); err != nil {
		logger.Warn("reap interrupted imports", "err", err)
	}
	actor := &riskmap.User{Username: "cli:" + os.Getenv("USER"), Role: riskmap.RoleAdmin}
	if as != "" {
		accounts, err := auth.NewService(pool, time.Hour, auth.NewLimiter(10, time.Minute)).Users(ctx)
		if err != nil {
			return err
		}
		actor = nil
		for _, a := range accounts {
			if a.Username == as && a.Role == riskmap.RoleAdmin && !a.Disabled {
				u := a.User
				actor = &u
			}
		}
		if actor == nil {
			return fmt.Errorf("--as %s: no enabled admin of that name (imports are for admins)", as)
		}
	}
	ctx = riskmap.NewContextWithUser(ctx, actor)
	id, err := jobs.Create(ctx, actor, filepath.Base(path), opts)
	if err != nil {
		return err
	}
	bar := newProgressBar(os.Stdout)
	rep, err := jobs.Run(ctx, id, path, filepath.Base(path), opts, bar.update)
	bar.done()
	if err != nil {
		return err
	}
	printReport(os.Stdout, rep)
	if reportPath != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(reportPath, b, 0o644); err != nil {
			return err
		}
	}
	if rep.Rejects != nil {
		out := rejectsPath
		if out == "" {
			out = filepath.Join(filepath.Dir(path), rep.Rejects.Name)
		}
		if err := os.WriteFile(out, rep.Rejects.Data, 0o644); err != nil {
			return err
		}
		fmt.Printf("rejected rows written to %s\n", out)
	}
	if rep.Failed() {
		return errRejected
	}
	return nil
}

// printReport prints the outcome and each problem (row, external id,
// field, reason).
func printReport(w io.Writer, r *importers.Report) {
	fmt.Fprintf(w, "import #%d: %s into %s (%s, %s", r.JobID, r.File, r.Layer, r.Format, r.CRS)
	if r.Encoding != "" {
		fmt.Fprintf(w, ", %s", r.Encoding)
	}
	fmt.Fprintf(w, ") in %.1fs\n", r.Seconds)
	if r.Error != "" {
		fmt.Fprintf(w, "the file cannot be imported: %s\n", r.Error)
	}
	fmt.Fprintf(w, "rows %d, valid %d, rejected %d; inserted %d, updated %d, unchanged %d\n",
		r.Rows, r.Valid, r.Rejected, r.Inserted, r.Updated, r.Unchanged)
	if r.Bulk {
		fmt.Fprintf(w, "loaded in bulk: one transaction, %s's indexes built again at its end\n", r.Layer)
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", wn)
	}
	const show = 200
	for i, p := range r.Problems {
		if i == show {
			fmt.Fprintf(w, "… and %d more problems (see --report)\n", len(r.Problems)-show)
			break
		}
		id := p.ExternalID
		if id == "" {
			id = "-"
		}
		fmt.Fprintf(w, "row %d\texternal id %s\t%s: %s\n", p.Row, id, p.Field, p.Reason)
	}
	if r.Rejected > 0 && !r.Applied && r.Inserted+r.Updated == 0 && r.Error == "" {
		fmt.Fprintln(w, "nothing was written: fix the rows above, or load the valid ones with --skip-invalid")
	}
}

// progressBar draws the import's progress on a terminal, and nothing
// when the output is a file or a pipe.
type progressBar struct {
	w    io.Writer
	on   bool
	last time.Time
}

func newProgressBar(f *os.File) *progressBar {
	return &progressBar{w: f, on: isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())}
}

func (b *progressBar) update(p importers.Progress) {
	if !b.on || (time.Since(b.last) < 100*time.Millisecond && p.Fraction < 1) {
		return
	}
	b.last = time.Now()
	const width = 30
	n := int(p.Fraction * width)
	label := map[string]string{"reading": "读取校验", "checking": "空间检查", "loading": "写入", "done": "完成"}[p.Phase]
	fmt.Fprintf(b.w, "\r%-8s [%s%s] %3.0f%%  %d 行   ", label, strings.Repeat("#", n), strings.Repeat(".", width-n), p.Fraction*100, p.Rows)
}

func (b *progressBar) done() {
	if b.on {
		fmt.Fprintln(b.w)
	}
}
