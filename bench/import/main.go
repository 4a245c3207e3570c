// Command import benchmarks bulk loading: N points from one GeoJSON file
// into risk_points with grid placement, through `riskmap import`, against
// GDAL's route to the same end (ogr2ogr -f PostgreSQL of the file, then an
// SQL spatial join that sets each point's grid). It prints both times, the
// ratio and each route's peak memory (maximum resident set size).
//
//	go run ./bench/import [-n 1000000] [-reuse] [-keep] [-batch 20000]
//
// It works in its own scratch database, scratch_import_bench, on the local
// cluster: the shared benchmark data set (bench/data/dataset.sql) gives the
// grids (≈6,000 over Shanwei), moved into riskmap's tables by
// bench/data/load.sql (package benchdata); its points are removed, and N points are generated
// inside the grids (ST_GeneratePoints, fixed seed) and written as one
// GeoJSON FeatureCollection with the properties a bureau's file has.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	benchdata "riskmap/bench/data"
	"riskmap/localdb"
)

const scratchDB = "scratch_import_bench"

type config struct {
	n     int
	reuse bool
	keep  bool
	batch int
	root  string
	dir   string
}

func main() {
	var cfg config
	flag.IntVar(&cfg.n, "n", 1_000_000, "points to load")
	flag.BoolVar(&cfg.reuse, "reuse", false, "reuse scratch_import_bench's grids and the generated file if present")
	flag.BoolVar(&cfg.keep, "keep", true, "keep the scratch database afterwards (for -reuse)")
	flag.IntVar(&cfg.batch, "batch", 0, "rows per transaction for riskmap import (0: its default)")
	flag.Parse()
	log.SetFlags(log.Ltime)
	root, err := benchdata.Root()
	if err != nil {
		log.Fatal(err)
	}
	cfg.root = root
	cfg.dir = filepath.Join(os.TempDir(), "riskmap-import-bench")
	if err := os.MkdirAll(cfg.dir, 0o755); err != nil {
		log.Fatal(err)
	}
	if err := run(context.Background(), cfg); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, cfg config) error {
	url, err := prepare(ctx, cfg)
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	file := filepath.Join(cfg.dir, fmt.Sprintf("points_%d.geojson", cfg.n))
	if _, err := os.Stat(file); err != nil || !cfg.reuse {
		if err := generate(ctx, conn, cfg.n, file); err != nil {
			return err
		}
	}
	st, _ := os.Stat(file)
	log.Printf("input: %s (%.0f MB, %d points)", file, float64(st.Size())/1e6, cfg.n)

	// riskmap import
	if err := clean(ctx, conn); err != nil {
		return err
	}
	bin := filepath.Join(cfg.dir, "riskmap")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/riskmap")
	build.Dir = cfg.root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build riskmap: %v\n%s", err, out)
	}
	// the job keeps the original file (its record, with the SHA-256): in
	// the benchmark's own directory, not the working tree's data/blobs
	args := []string{"import", "--layer", "risk_points", "--blob-dir", filepath.Join(cfg.dir, "blobs")}
	if cfg.batch > 0 {
		args = append(args, "--batch", fmt.Sprint(cfg.batch))
	}
	ours, err := measure(ctx, []string{"DATABASE_URL=" + url}, bin, append(args, file)...)
	if err != nil {
		return fmt.Errorf("riskmap import: %w", err)
	}
	var placed, total int
	if err := conn.QueryRow(ctx, "SELECT count(*), count(grid_code) FROM risk_points").Scan(&total, &placed); err != nil {
		return err
	}
	if total != cfg.n || placed != cfg.n {
		return fmt.Errorf("riskmap import left %d points (%d placed), want %d", total, placed, cfg.n)
	}
	log.Printf("riskmap import: %s, peak %d MB", ours.wall.Round(time.Millisecond), ours.maxRSS>>20)

	// GDAL: ogr2ogr into a plain table, then the spatial join
	if _, err := conn.Exec(ctx, "DROP TABLE IF EXISTS gdal_points"); err != nil {
		return err
	}
	pg, err := gdalConn(url)
	if err != nil {
		return err
	}
	gdal, err := measure(ctx, []string{"PG_USE_COPY=YES"}, "ogr2ogr", "-f", "PostgreSQL", pg, file, "-nln", "gdal_points",
		"-lco", "GEOMETRY_NAME=geom", "-lco", "FID=id", "-lco", "SPATIAL_INDEX=GIST", "-gt", "65536")
	if err != nil {
		return fmt.Errorf("ogr2ogr: %w", err)
	}
	t0 := time.Now()
	if _, err := conn.Exec(ctx, `ALTER TABLE gdal_points ADD COLUMN grid_code text;
		UPDATE gdal_points p SET grid_code = (SELECT g.code FROM grids g WHERE ST_Covers(g.geom, p.geom) ORDER BY g.code LIMIT 1)`); err != nil {
		return fmt.Errorf("spatial join: %w", err)
	}
	join := time.Since(t0)
	if err := conn.QueryRow(ctx, "SELECT count(*), count(grid_code) FROM gdal_points").Scan(&total, &placed); err != nil {
		return err
	}
	gdalTotal := gdal.wall + join
	log.Printf("ogr2ogr: %s, peak %d MB; spatial join: %s", gdal.wall.Round(time.Millisecond), gdal.maxRSS>>20, join.Round(time.Millisecond))

	fmt.Printf("\nbulk load of %d points from GeoJSON with grid placement (%d grids), on %s\n", cfg.n, grids(ctx, conn), host())
	fmt.Printf("%-44s %10s %10s %12s\n", "route", "seconds", "rows/s", "peak MB")
	fmt.Printf("%-44s %10.1f %10.0f %12d\n", "riskmap import (validate, stage, place, upsert)", ours.wall.Seconds(), float64(cfg.n)/ours.wall.Seconds(), ours.maxRSS>>20)
	fmt.Printf("%-44s %10.1f %10.0f %12d\n", "ogr2ogr -f PostgreSQL + spatial join", gdalTotal.Seconds(), float64(cfg.n)/gdalTotal.Seconds(), gdal.maxRSS>>20)
	fmt.Printf("%-44s %10.1f\n", "  of which ogr2ogr", gdal.wall.Seconds())
	fmt.Printf("%-44s %10.1f\n", "  of which the join", join.Seconds())
	fmt.Printf("ratio (GDAL route / riskmap import): %.2f×  (target ≥ 1.2×; peak memory target < 300 MB)\n", gdalTotal.Seconds()/ours.wall.Seconds())
	if placed != total {
		fmt.Printf("note: the GDAL route left %d of %d points without a grid\n", total-placed, total)
	}
	if !cfg.keep {
		conn.Close(ctx)
		dropDB(ctx)
	}
	return nil
}

type result struct {
	wall   time.Duration
	maxRSS int64
}

// measure runs a command to its end: wall time and peak resident memory.
func measure(ctx context.Context, env []string, name string, args ...string) (result, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	err := cmd.Run()
	r := result{wall: time.Since(t0)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = ru.Maxrss << 10 // kilobytes on Linux
	}
	if err != nil {
		return r, fmt.Errorf("%v\n%s", err, tail(out.String(), 3000))
	}
	return r, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func host() string {
	h, _ := os.Hostname()
	b, _ := os.ReadFile("/proc/cpuinfo")
	cores := strings.Count(string(b), "processor\t:")
	return fmt.Sprintf("%s, %d cores", h, cores)
}

func grids(ctx context.Context, conn *pgx.Conn) int {
	var n int
	_ = conn.QueryRow(ctx, "SELECT count(*) FROM grids").Scan(&n)
	return n
}

func clean(ctx context.Context, conn *pgx.Conn) error {
	// replica role: case_events' append-only trigger would refuse the
	// cascade (the benchmark database has no cases)
	_, err := conn.Exec(ctx, `SET session_replication_role = replica; TRUNCATE risk_points CASCADE; RESET session_replication_role;
		DELETE FROM tile_clusters WHERE layer = 'risk_points';
		DELETE FROM audit_log WHERE tbl = 'risk_points'; DROP TABLE IF EXISTS gdal_points`)
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "VACUUM ANALYZE risk_points")
	return err
}

// generate writes n points inside the grids as a GeoJSON FeatureCollection,
// streamed from PostGIS (deterministic: a fixed seed per grid).
func generate(ctx context.Context, conn *pgx.Conn, n int, path string) error {
	t0 := time.Now()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	rows, err := conn.Query(ctx, `
		WITH g AS (SELECT code, geom, row_number() OVER (ORDER BY code) AS i, count(*) OVER () AS k FROM grids),
		q AS (SELECT code, geom, i, ($1 / k + CASE WHEN i <= $1 % k THEN 1 ELSE 0 END)::int AS m FROM g)
		SELECT ST_X(d.geom), ST_Y(d.geom)
		  FROM q CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(q.geom, q.m, q.i::int)) d
		 WHERE q.m > 0`, n)
	if err != nil {
		return err
	}
	defer rows.Close()
	cats := []string{"geological", "flood", "reservoir", "coastal", "forest_fire", "crowded_place", "construction", "road_traffic", "fire", "other"}
	w.WriteString(`{"type":"FeatureCollection","name":"risk_points","features":[` + "\n")
	i := 0
	for rows.Next() {
		var x, y float64
		if err := rows.Scan(&x, &y); err != nil {
			return err
		}
		i++
		props, _ := json.Marshal(map[string]any{
			"external_id": fmt.Sprintf("BENCH-%07d", i), "name": fmt.Sprintf("风险点%d号", i), "category": cats[i%len(cats)],
			"risk_level": 1 + i%4, "address": fmt.Sprintf("汕尾市某路%d号", i%997), "population_exposed": i % 500,
		})
		if i > 1 {
			w.WriteString(",\n")
		}
		fmt.Fprintf(w, `{"type":"Feature","geometry":{"type":"Point","coordinates":[%.7f,%.7f]},"properties":%s}`, x, y, props)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	w.WriteString("\n]}\n")
	if i != n {
		return fmt.Errorf("generated %d points, want %d", i, n)
	}
	log.Printf("generated %d points in %s", n, time.Since(t0).Round(time.Second))
	return w.Flush()
}

func gdalConn(url string) (string, error) {
	c, err := pgx.ParseConfig(url)
	if err != nil {
		return "", err
	}
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }
	return fmt.Sprintf("PG:host=%s port=%d user=%s password=%s dbname=%s", q(c.Host), c.Port, q(c.User), q(c.Password), q(c.Database)), nil
}

func dropDB(ctx context.Context) {
	c := localdb.Config()
	_ = benchdata.Drop(ctx, c.DatabaseURL("postgres"), scratchDB)
}

// prepare makes the scratch database with riskmap's schema and the shared
// data set's grids (reused with -reuse when already there).
func prepare(ctx context.Context, cfg config) (string, error) {
	c := localdb.Config()
	if err := c.Start(ctx); err != nil {
		return "", err
	}
	url := c.DatabaseURL(scratchDB)
	if cfg.reuse {
		if conn, err := pgx.Connect(ctx, url); err == nil {
			var n int
			err := conn.QueryRow(ctx, "SELECT count(*) FROM grids").Scan(&n)
			conn.Close(ctx)
			if err == nil && n > 0 {
				log.Printf("reusing %s (%d grids)", scratchDB, n)
				return url, benchdata.Migrate(ctx, url)
			}
		}
	}
	t0 := time.Now()
	log.Printf("loading bench/data/dataset.sql into %s and moving it into riskmap's tables", scratchDB)
	if err := benchdata.Create(ctx, cfg.root, c.DatabaseURL("postgres"), url, scratchDB); err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA bench CASCADE"); err != nil {
		return "", err
	}
	log.Printf("grids loaded in %s", time.Since(t0).Round(time.Second))
	return url, nil
}
