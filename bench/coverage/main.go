// Command coverage benchmarks the coverage service on the shared benchmark
// data set (bench/data: ≈6,000 grids, 300,000 risk points, 20,000 hazard
// sources, 60 stations, 120 depots) with a road network generated from its
// grids (roads.Generate: ≈11,000 edges):
//
//	go run ./bench/coverage [-runs 3] [-reuse] [-keep=false]
//
// It creates (or, with -reuse, reuses) the scratch database
// scratch_coverage_bench on the local cluster, loads bench/data/dataset.sql
// into schema bench with psql and moves it into riskmap's tables
// (bench/data/load.sql, package benchdata), then times, each on a fresh service (no cached
// result), coverage of the whole city by distance (5 km) and by travel time
// (15 min) from the 60 stations, a repeat served from the result cache, and
// siting of 3 stations; it prints the median of the runs (after one
// untimed run that warms the connections). Each service
// follows the change notifications, as `riskmap serve`'s does. Targets:
// distance under 1 s, travel time under 10 s.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap"
	benchdata "riskmap/bench/data"
	"riskmap/coverage"
	"riskmap/localdb"
	"riskmap/postgres"
	"riskmap/roads"
)

// scratchDB is the benchmark's own database: created, loaded and (with
// -keep=false) dropped by it, never anyone else's.
const scratchDB = "scratch_coverage_bench"

func main() {
	runs := flag.Int("runs", 3, "timed runs per measurement (the median is printed)")
	reuse := flag.Bool("reuse", false, "reuse "+scratchDB+" if it is loaded already")
	keep := flag.Bool("keep", true, "keep the scratch database afterwards (for -reuse)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the measurements to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *runs, *reuse, *keep); err != nil {
		log.Print(err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(ctx context.Context, runs int, reuse, keep bool) error {
	root, err := benchdata.Root()
	if err != nil {
		return err
	}
	c := localdb.Config()
	if err := c.Start(ctx); err != nil {
		return err
	}
	url := c.DatabaseURL(scratchDB)
	if !reuse || !loaded(ctx, url) {
		if err := prepare(ctx, c.DatabaseURL("postgres"), url, root); err != nil {
			return err
		}
	} else {
		log.Printf("reusing %s", scratchDB)
		if err := benchdata.Migrate(ctx, url); err != nil {
			return err
		}
	}
	if !keep {
		defer func() { _ = benchdata.Drop(context.Background(), c.DatabaseURL("postgres"), scratchDB) }()
	}
	pool, err := postgres.Open(ctx, url, 8)
	if err != nil {
		return err
	}
	defer pool.Close()
	var grids, rps, hss, stations, edges int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM grids), (SELECT count(*) FROM risk_points WHERE status = 'active'),
		(SELECT count(*) FROM hazard_sources), (SELECT count(*) FROM stations), (SELECT count(*) FROM roads)`).
		Scan(&grids, &rps, &hss, &stations, &edges); err != nil {
		return err
	}
	fmt.Printf("data: %d grids, %d active risk points, %d hazard sources, %d stations, %d road edges; %d runs each, median\n",
		grids, rps, hss, stations, edges, runs)
	// the machine's load tells how far figures are from an idle machine's
	fmt.Printf("load average before: %s, %d CPUs\n\n", benchdata.LoadAverage(), runtime.NumCPU())
	defer func() { fmt.Printf("\nload average after: %s\n", benchdata.LoadAverage()) }()

	admin := &riskmap.User{ID: 1, Username: "bench", Role: riskmap.RoleAdmin}
	measure := func(name, target string, fn func(s *coverage.Service) (string, error)) error {
		var times []time.Duration
		var info string
		// one untimed run first: the pool's connections (and PostgreSQL
		// backends' caches, PostGIS's set-up) warm, as in a running server
		if _, err := fn(coverage.NewService(pool, coverage.Config{})); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for i := 0; i < runs; i++ {
			// a fresh service (no cached result), following change
			// notifications as `riskmap serve` does
			s := coverage.NewService(pool, coverage.Config{})
			lctx, stop := context.WithCancel(ctx)
			go s.Listen(lctx, func(ctx context.Context) (*pgx.Conn, error) {
				return pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
			})
			for deadline := time.Now().Add(10 * time.Second); !s.Live() && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
			}
			t0 := time.Now()
			out, err := fn(s)
			elapsed := time.Since(t0)
			stop()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			times = append(times, elapsed)
			info = out
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		fmt.Printf("%-44s %8.3f s  (min %.3f, max %.3f)  target %s  %s\n", name, times[len(times)/2].Seconds(),
			times[0].Seconds(), times[len(times)-1].Seconds(), target, info)
		return nil
	}
	cov := func(q coverage.Query) func(s *coverage.Service) (string, error) {
		return func(s *coverage.Service) (string, error) {
			r, err := s.Coverage(ctx, admin, q)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("[grids %.1f%%, population %.1f%%, risk-weighted %.1f%%, %d uncovered risk points]",
				100**r.Share.Grids, 100**r.Share.Population, 100**r.Share.RiskWeighted, r.UncoveredRiskPointsTotal), nil
		}
	}
	dist := coverage.Query{Facility: "stations", MaxDistanceM: 5000}
	tt := coverage.Query{Facility: "stations", MaxMinutes: 15}
	if err := measure("coverage by distance (60 stations, 5 km)", "< 1 s", cov(dist)); err != nil {
		return err
	}
	if err := measure("coverage by travel time (60 stations, 15 min)", "< 10 s", cov(tt)); err != nil {
		return err
	}
	if err := measure("coverage by distance, repeated (cached)", "", func(s *coverage.Service) (string, error) {
		if _, err := s.Coverage(ctx, admin, dist); err != nil {
			return "", err
		}
		t0 := time.Now()
		r, err := s.Coverage(ctx, admin, dist)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("[second call alone %.3f s, cached=%v]", time.Since(t0).Seconds(), r.Cached), nil
	}); err != nil {
		return err
	}
	site := func(q coverage.Query) func(s *coverage.Service) (string, error) {
		return func(s *coverage.Service) (string, error) {
			r, err := s.Siting(ctx, admin, coverage.SitingQuery{Query: q, K: 3})
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("[%d candidates; share %.1f%% → %.1f%%]", r.CandidateCount, 100**r.Before.Share, 100**r.After.Share), nil
		}
	}
	if err := measure("siting k=3 by distance (5 km, grid candidates)", "", site(dist)); err != nil {
		return err
	}
	return measure("siting k=3 by travel time (15 min)", "", site(tt))
}

func prepare(ctx context.Context, adminURL, url, root string) error {
	t0 := time.Now()
	log.Printf("loading bench/data/dataset.sql into %s and moving it into riskmap's tables", scratchDB)
	if err := benchdata.Create(ctx, root, adminURL, url, scratchDB); err != nil {
		return err
	}
	log.Printf("loaded in %s", time.Since(t0).Round(time.Second))
	pool, err := postgres.Open(ctx, url, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	t0 = time.Now()
	rep, err := roads.Generate(ctx, pool, "bench")
	if err != nil {
		return err
	}
	log.Printf("road network generated in %s: %d edges, %d vertices, km by class %v", time.Since(t0).Round(time.Millisecond), rep.Edges, rep.Vertices, rep.KmByClass)
	_, err = pool.Exec(ctx, "VACUUM ANALYZE roads, road_vertices")
	return err
}

func loaded(ctx context.Context, url string) bool {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return false
	}
	defer conn.Close(ctx)
	var n, e int
	err = conn.QueryRow(ctx, "SELECT (SELECT count(*) FROM risk_points), (SELECT count(*) FROM roads)").Scan(&n, &e)
	return err == nil && n == benchdata.RiskPoints && e > 0
}
