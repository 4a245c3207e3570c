// Command tiles benchmarks riskmap's vector tiles on the shared benchmark
// data set (bench/data): the raw SQL ceiling, the server with its tile cache
// off, the server warm, and a bare net/http server as the HTTP ceiling, per
// zoom, in one run over loopback; with -baseline, another revision's server
// cold and warm in the same rounds.
//
//	go run ./bench/tiles [-d 5s] [-rounds 3] [-c 16] [-layers risk_points,grids] [-reuse] [-baseline REV]
//
// It creates (or, with -reuse, reuses) the scratch database
// scratch_tiles_bench on the local cluster (RISKMAP_PGDIR/RISKMAP_PGPORT as
// for riskmap), loads bench/data/dataset.sql into schema bench with psql,
// moves it into riskmap's tables (bench/data/load.sql), builds and starts `riskmap
// serve` against it, and drives HTTP load with wrk when installed (else a Go
// client; say which in the output). See bench/tiles/README.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"time"

	benchdata "riskmap/bench/data"
	"riskmap/tiles"
)

type config struct {
	duration time.Duration
	rounds   int
	conns    int
	dbConns  int
	layers   []string
	zooms    []int
	reuse    bool
	keep     bool
	root     string // module root
	goClient bool
	procs    int    // GOMAXPROCS of the servers and of the ceiling's client; 0: Go's default
	baseline string // a git revision whose server is measured alongside ("": none)
}

// seconds is a duration flag that also takes a bare number of seconds.
type seconds struct{ d *time.Duration }

func (s seconds) String() string {
	if s.d == nil {
		return ""
	}
	return s.d.String()
}

func (s seconds) Set(v string) error {
	if n, err := strconv.Atoi(v); err == nil {
		*s.d = time.Duration(n) * time.Second
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%q is neither a duration (5s) nor a number of seconds", v)
	}
	*s.d = d
	return nil
}

func main() {
	var cfg config
	layers := flag.String("layers", "risk_points,grids", "comma-separated tile layers to measure (any of the server's, or all)")
	zooms := flag.String("zooms", "10,12,14,16", "zooms to measure (tile lists bench/data/tiles_zN.txt)")
	cfg.duration = 5 * time.Second
	flag.Var(seconds{&cfg.duration}, "d", "duration of each round of each measurement (5s, or 5: whole seconds)")
	flag.IntVar(&cfg.rounds, "rounds", 3, "rounds per measurement; the median round counts")
	flag.IntVar(&cfg.conns, "c", 16, "HTTP connections (the reference figures used wrk -t2 -c16)")
	flag.IntVar(&cfg.dbConns, "db-conns", tiles.DefaultConns(), "the servers' tile connection pool (--tile-db-conns), and the ceiling's connections")
	flag.BoolVar(&cfg.reuse, "reuse", false, "reuse scratch_tiles_bench if it is loaded already")
	flag.BoolVar(&cfg.keep, "keep", true, "keep the scratch database afterwards (for -reuse)")
	flag.BoolVar(&cfg.goClient, "go-client", false, "use the Go HTTP client even when wrk is installed")
	flag.IntVar(&cfg.procs, "procs", 0, "GOMAXPROCS of both servers and of the ceiling's client (this process), alike; 0: Go's default (the CPU count)")
	flag.StringVar(&cfg.baseline, "baseline", "", "also build riskmap at this git revision and measure its server cold and warm in the same rounds (e.g. main, or a commit)")
	fixedAddr := flag.String("fixed-body-server", "", "internal: run the HTTP ceiling's server on this address")
	fixedSize := flag.Int("fixed-body-size", 0, "internal: the HTTP ceiling's body size")
	fixedHeaders := flag.String("fixed-body-headers", "", "internal: the header (JSON) the HTTP ceiling writes besides its body; empty: Content-Type only")
	flag.Parse()
	if *fixedAddr != "" {
		var h http.Header
		if *fixedHeaders != "" {
			if err := json.Unmarshal([]byte(*fixedHeaders), &h); err != nil {
				log.Fatalf("-fixed-body-headers: %v", err)
			}
		}
		log.Fatal(serveFixedBody(*fixedAddr, *fixedSize, h))
	}
	if cfg.procs > 0 {
		runtime.GOMAXPROCS(cfg.procs)
	}
	cfg.layers = strings.Split(*layers, ",")
	for _, z := range strings.Split(*zooms, ",") {
		var n int
		if _, err := fmt.Sscan(z, &n); err != nil {
			log.Fatalf("-zooms: %q is not a zoom", z)
		}
		cfg.zooms = append(cfg.zooms, n)
	}
	root, err := benchdata.Root()
	if err != nil {
		log.Fatal(err)
	}
	cfg.root = root
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		log.Fatal(err)
	}
}
