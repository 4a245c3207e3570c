// Command load runs riskmap's mixed workload (package workload) against one
// `riskmap serve` on loopback and checks it: no 5xx, every acknowledged
// write in the database with its events; it prints p50/p90/p99 per route
// and the machine's load average.
//
//	go run ./bench/load [-clients 200] [-d 60s] [-fresh]
//	go run ./bench/load -fault pg-restart [-fault-at 20s] [-fault-for 10s]
//
// By default the server runs against the scratch database
// scratch_resilience_load of the local cluster (created and loaded with the
// demo city on first use; RISKMAP_PGDIR/RISKMAP_PGPORT as for riskmap).
// With -fault pg-restart it runs against a private cluster of its own (in
// a temporary directory, on its own port; the shared cluster is never
// stopped), stops PostgreSQL at -fault-at for -fault-for and starts it
// again, and checks the server answered 503 meanwhile and recovered within
// 5 s. It exits 1 when a check fails.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/bench/load/workload"
	"riskmap/localdb"
)

const scratchDB = "scratch_resilience_load"

type config struct {
	clients          int
	duration         time.Duration
	timeout          time.Duration
	think            time.Duration
	teams            int
	fresh            bool
	fault            string
	faultAt, faultOn time.Duration
	serverArgs       string
	pool             int
}

func main() {
	var cfg config
	flag.IntVar(&cfg.clients, "clients", 200, "concurrent clients")
	flag.DurationVar(&cfg.duration, "d", 60*time.Second, "how long the clients start new work")
	flag.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "a request unanswered this long fails")
	flag.DurationVar(&cfg.think, "think", 0, "pause between a client's steps (0: closed loop, the heaviest)")
	flag.IntVar(&cfg.teams, "teams", 24, "townships with an office and a worker account each")
	flag.BoolVar(&cfg.fresh, "fresh", false, "drop and reload "+scratchDB+" first")
	flag.StringVar(&cfg.fault, "fault", "", "pg-restart: stop PostgreSQL (a private cluster) during the load and start it again")
	flag.DurationVar(&cfg.faultAt, "fault-at", 20*time.Second, "when the fault starts")
	flag.DurationVar(&cfg.faultOn, "fault-for", 10*time.Second, "how long PostgreSQL stays down")
	flag.StringVar(&cfg.serverArgs, "server-args", "", "extra arguments for riskmap serve, space-separated")
	flag.IntVar(&cfg.pool, "pool", 0, "the server's API connection pool (pool_max_conns in its DATABASE_URL); 0: riskmap's default, max(4, CPUs)")
	flag.Parse()
	if cfg.fault != "" && cfg.fault != "pg-restart" {
		log.Fatalf("-fault: want pg-restart, got %q", cfg.fault)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ok, err := run(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	if !ok {
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config) (bool, error) {
	tmp, err := os.MkdirTemp("", "riskmap-load-")
	if err != nil {
		return false, err
	}
	// as root the private cluster's server runs as postgres: keep it reachable
	if err := os.Chmod(tmp, 0o755); err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp)
	log.Printf("building riskmap")
	bin, err := workload.Build(ctx, tmp)
	if err != nil {
		return false, err
	}
	var url string
	var cluster *localdb.Cluster
	if cfg.fault == "" {
		if url, err = scratch(ctx, bin, cfg.fresh); err != nil {
			return false, err
		}
	} else {
		if cluster, url, err = private(ctx, bin, tmp); err != nil {
			return false, err
		}
		defer func() {
			if err := cluster.Stop(context.Background()); err != nil {
				log.Printf("stop the private cluster: %v", err)
			}
		}()
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return false, err
	}
	defer pool.Close()
	log.Printf("creating %d townships' accounts (argon2id: a few seconds each on a busy machine)", cfg.teams)
	plan, err := workload.Setup(ctx, pool, cfg.teams)
	if err != nil {
		return false, err
	}
	args := []string{"--blob-dir", filepath.Join(tmp, "blobs")}
	args = append(args, strings.Fields(cfg.serverArgs)...)
	serverURL := url
	if cfg.pool > 0 {
		serverURL += fmt.Sprintf(" pool_max_conns=%d", cfg.pool)
	}
	srv, err := workload.Start(ctx, bin, serverURL, filepath.Join(tmp, "serve.log"), args...)
	if err != nil {
		return false, err
	}
	defer func() {
		if err := srv.Stop(30 * time.Second); err != nil {
			log.Printf("riskmap serve: %v", err)
		}
	}()
	if err := plan.Login(ctx, srv.Base); err != nil {
		return false, err
	}
	log.Printf("%d clients for %s against %s (%d teams); load average before: %s", cfg.clients, cfg.duration, srv.Base, len(plan.Teams), loadavg())

	var down, up time.Time
	var health *workload.Health
	var faultErr error
	var wg sync.WaitGroup
	if cluster != nil {
		hctx, cancel := context.WithCancel(ctx)
		defer cancel()
		health = workload.WatchHealth(hctx, srv.Base)
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-time.After(cfg.faultAt):
			case <-ctx.Done():
				return
			}
			log.Printf("stopping PostgreSQL for %s", cfg.faultOn)
			down = time.Now()
			if faultErr = cluster.Stop(context.Background()); faultErr != nil {
				return
			}
			time.Sleep(cfg.faultOn)
			faultErr = cluster.Start(context.Background())
			up = time.Now()
			log.Printf("PostgreSQL is back")
		}()
	}
	res := workload.Run(ctx, plan, workload.Config{Base: srv.Base, Clients: cfg.clients, Duration: cfg.duration, Timeout: cfg.timeout, Think: cfg.think})
	wg.Wait()
	after := loadavg()
	fmt.Println()
	res.Print(os.Stdout)
	fmt.Printf("load average after: %s (%d CPUs)\n", after, runtime.NumCPU())
	printMetrics(srv.Base)
	if faultErr != nil {
		return false, fmt.Errorf("fault: %w", faultErr)
	}

	ok := true
	fail := func(format string, args ...any) {
		ok = false
		fmt.Printf("FAIL: "+format+"\n", args...)
	}
	if !srv.Running() {
		fail("the server exited during the run: %s", srv.Tail())
	}
	t := res.Totals()
	if cluster == nil {
		if t.Status5xx > 0 || t.Failed > 0 {
			fail("%d answers were 5xx and %d requests got no answer; want none", t.Status5xx, t.Failed)
		}
		if t.Unexpected > t.Status5xx+t.Failed {
			fail("%d answers were not what the workload wanted (see above)", t.Unexpected-t.Status5xx-t.Failed)
		}
		if len(res.Anomalies) > 0 {
			fail("%d anomalies (see above)", len(res.Anomalies))
		}
	} else {
		o := res.Outage(down, up)
		fmt.Println(o)
		ho := health.Outage(down, up)
		fmt.Println(ho)
		for _, p := range o.Problems(res, cfg.timeout, 5*time.Second) {
			fail("%s", p)
		}
		if ho.NoAnswer > 0 || ho.Unavailable == 0 || ho.BackAfter < 0 || ho.BackAfter > 5*time.Second {
			fail("/healthz did not follow the database: %s", ho)
		}
	}
	n, problems, err := workload.Verify(ctx, pool, res.Acks)
	if err != nil {
		return false, err
	}
	fmt.Printf("checked %d acknowledged writes in the database: %d missing\n", n, len(problems))
	for i, p := range problems {
		if i == 20 {
			break
		}
		fail("%s", p)
	}
	if ok {
		fmt.Println("PASS")
	}
	return ok, nil
}

// scratch makes sure scratch_resilience_load exists with the demo city on
// the local cluster and returns its URL.
func scratch(ctx context.Context, bin string, fresh bool) (string, error) {
	c := localdb.Config()
	if err := c.Start(ctx); err != nil {
		return "", err
	}
	admin, err := pgx.Connect(ctx, c.DatabaseURL("postgres"))
	if err != nil {
		return "", err
	}
	defer admin.Close(context.Background())
	if fresh {
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+scratchDB+" WITH (FORCE)"); err != nil {
			return "", err
		}
	}
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", scratchDB).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+scratchDB); err != nil {
			return "", err
		}
	}
	url := c.DatabaseURL(scratchDB)
	return url, loadDemo(ctx, bin, url)
}

// private starts a cluster of its own under dir on a free port, with the
// demo city loaded.
func private(ctx context.Context, bin, dir string) (*localdb.Cluster, string, error) {
	addr, err := workload.FreeAddr()
	if err != nil {
		return nil, "", err
	}
	var port int
	fmt.Sscanf(addr[strings.LastIndex(addr, ":")+1:], "%d", &port)
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	c := &localdb.Cluster{Dir: filepath.Join(dir, "pg-"+hex.EncodeToString(b)), Port: port, Database: "riskmap", Role: "riskmap"}
	log.Printf("private cluster in %s on port %d", c.Dir, c.Port)
	if err := c.Start(ctx); err != nil {
		return nil, "", err
	}
	return c, c.URL(), loadDemo(ctx, bin, c.URL())
}

// loadDemo migrates and loads the demo city once (riskmap demo --load-only
// skips what is there).
func loadDemo(ctx context.Context, bin, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis")
	conn.Close(context.Background())
	if err != nil {
		return err
	}
	log.Printf("loading the demo city (once; a minute or two)")
	cmd := exec.CommandContext(ctx, bin, "demo", "--load-only")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("riskmap demo --load-only: %w\n%s", err, out)
	}
	return nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// printMetrics shows the server's tile cache and pool counters.
func printMetrics(base string) {
	res, err := http.Get(base + "/metrics")
	if err != nil {
		log.Printf("metrics: %v", err)
		return
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "riskmap_tile_cache_") || strings.HasPrefix(line, "riskmap_db_pool_") {
			fmt.Println("  " + line)
		}
	}
}
