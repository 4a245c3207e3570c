package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/auth"
	"riskmap/bench/internal/login"
	"riskmap/bench/load/workload"
	"riskmap/tiles"
)

// The benchmark's user: the city bureau, scoped to Shanwei (a real scope
// filter, as the offices' screens have).
const (
	benchUser = "bench_city"
	benchArea = "441500000000"
)

type row struct {
	layer            string
	zoom             int
	bytes            float64
	ceil, cold, warm result
	http             result // the bare net/http server's (the HTTP ceiling)
	httpHeaders      result // the same writing a cached tile's header keys too
	baseCold         result // the -baseline server's, if any
	baseWarm         result
	// the warm server asked with Accept-Encoding: gzip (tiles gzipped once,
	// when made, and cached so), and the mean tile it sent
	warmGzip result
	gzBytes  float64
	// each round's ratio, over the rounds (spread.go): a round's servers
	// run back to back, so load from elsewhere moves both sides of a ratio
	warmHTTP, warmHeaders, coldBase, warmBase, gzipWarm, gzipBase spread
}

func run(ctx context.Context, cfg config) error {
	url, cleanup, err := prepare(ctx, cfg)
	if err != nil {
		return err
	}
	defer cleanup()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return err
	}
	password := "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	_, err = auth.NewService(pool, time.Hour, auth.NewLimiter(100, time.Minute)).SaveUser(ctx, auth.UserSpec{
		Username: benchUser, Role: riskmap.RoleCity, Areas: []string{benchArea}, Password: password})
	pool.Close()
	if err != nil {
		return fmt.Errorf("bench user: %w", err)
	}
	scope := riskmap.Scope{Areas: []string{benchArea}}

	tmp, err := os.MkdirTemp("", "riskmap-bench-tiles-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "riskmap")
	log.Printf("building riskmap")
	if err := buildRiskmap(ctx, cfg.root, bin); err != nil {
		return err
	}
	var baseBin string
	if cfg.baseline != "" {
		log.Printf("building riskmap at %s", cfg.baseline)
		src := filepath.Join(tmp, "baseline-src")
		if err := os.MkdirAll(src, 0o755); err != nil {
			return err
		}
		export := exec.CommandContext(ctx, "sh", "-c", `git -C "$1" archive "$2" | tar -x -C "$3"`, "sh", cfg.root, cfg.baseline, src)
		if out, err := export.CombinedOutput(); err != nil {
			return fmt.Errorf("git archive %s: %w\n%s", cfg.baseline, err, out)
		}
		baseBin = filepath.Join(tmp, "riskmap-baseline")
		if err := buildRiskmap(ctx, src, baseBin); err != nil {
			return err
		}
	}
	var load loader = goLoader{}
	if _, err := exec.LookPath("wrk"); err == nil && !cfg.goClient {
		load = wrkLoader{dir: tmp}
	}

	lists := map[int][]tiles.TileID{}
	for _, z := range cfg.zooms {
		l, err := readTiles(filepath.Join(cfg.root, "bench", "data", fmt.Sprintf("tiles_z%d.txt", z)))
		if err != nil {
			return err
		}
		lists[z] = l
	}
	svc := tiles.NewService(nil, tiles.Options{}) // only for its SQL
	conns := cfg.dbConns
	// the servers run throughout; each (layer, zoom) is measured in rounds
	// of the SQL ceiling then every server in turn (cold, warm, the
	// baseline's, the HTTP ceiling), so that load from elsewhere on the
	// machine falls on all alike; the median round of each counts
	var variants []variant
	for _, v := range []struct {
		name, bin string
		cacheMB   int
		out       func(*row) *result
	}{
		{"cold", bin, 0, func(r *row) *result { return &r.cold }},
		{"cold (baseline)", baseBin, 0, func(r *row) *result { return &r.baseCold }},
		{"warm", bin, 256, func(r *row) *result { return &r.warm }},
		{"warm (baseline)", baseBin, 256, func(r *row) *result { return &r.baseWarm }},
	} {
		if v.bin == "" {
			continue
		}
		srv, err := startServer(ctx, v.bin, url, tmp, v.name, v.cacheMB, conns, cfg.procs)
		if err != nil {
			return err
		}
		defer srv.stop()
		if srv.token, err = login.Token(srv.base, benchUser, password); err != nil {
			return err
		}
		variants = append(variants, variant{name: v.name, srv: srv, out: v.out})
		if v.name == "warm" {
			variants = append(variants, variant{name: "warm gzip", srv: srv, out: func(r *row) *result { return &r.warmGzip }, gzip: true})
		}
	}
	meter, err := newBackends(ctx, url)
	if err != nil {
		return err
	}
	defer meter.close()
	var rows []*row
	for _, layer := range cfg.layers {
		if err := svc.CheckLayer(layer); err != nil {
			return err
		}
		for _, z := range cfg.zooms {
			r := &row{layer: layer, zoom: z}
			runner, err := newSQLRunner(ctx, url, svc, scope, layer, lists[z], conns)
			if err != nil {
				return err
			}
			r.bytes = runner.bytes
			ps := paths(layer, lists[z])
			for _, v := range variants {
				mean, gzipped, err := fetchAll(v.srv.base, v.headers(), ps) // warms the cache when on
				if err != nil {
					runner.close()
					return err
				}
				if v.gzip {
					if !gzipped {
						runner.close()
						return fmt.Errorf("%s z%d: %s: a tile of %d bytes or more came plain", layer, z, v.name, tiles.GzipMinSize)
					}
					r.gzBytes = mean
					continue
				}
				if mean != r.bytes {
					log.Printf("note: %s z%d: %s sent %.0f bytes a tile on average, the SQL made %.0f", layer, z, v.name, mean, r.bytes)
				}
			}
			// the HTTP ceiling answers with a body of the mean tile's size;
			// the second writes a cached tile's header keys as well
			fixed, err := startFixedBody(ctx, int(r.bytes+0.5), cfg.procs, nil)
			if err != nil {
				runner.close()
				return err
			}
			withHeaders, err := startTileHeaderCeiling(ctx, variantNamed(variants, "warm").srv, ps, int(r.bytes+0.5), cfg.procs)
			if err != nil {
				runner.close()
				fixed.stop()
				return err
			}
			stop := func() { runner.close(); fixed.stop(); withHeaders.stop() }
			all := append(append([]variant{}, variants...),
				variant{name: httpCeiling, srv: fixed, out: func(r *row) *result { return &r.http }},
				variant{name: tileHeaderCeiling, srv: withHeaders, out: func(r *row) *result { return &r.httpHeaders }})
			log.Printf("%s z%d: %d rounds of %s: ceiling (%d connections), then %d servers (%s, %d connections)",
				layer, z, cfg.rounds, cfg.duration, conns, len(all), load.name(), cfg.conns)
			rounds := make([][]result, len(all))
			var ceil []result
			for round := range cfg.rounds {
				meter.begin(ctx)
				c0 := selfCPU()
				res := runner.run(ctx, cfg.duration)
				res.appCPU, res.dbCPU = selfCPU()-c0, meter.used(ctx)
				ceil = append(ceil, res)
				// each round starts with another server, so that none is always
				// measured right after the database's burst or last in line
				for _, i := range roundOrder(all, round) {
					v := all[i]
					meter.begin(ctx)
					s0 := procCPU(v.srv.cmd.Process.Pid)
					res, err := load.run(ctx, v.srv.base, v.headers(), ps, cfg.conns, cfg.duration)
					if err != nil {
						stop()
						return err
					}
					res.appCPU, res.dbCPU = procCPU(v.srv.cmd.Process.Pid)-s0, meter.used(ctx)
					if res.errors > 0 {
						log.Printf("WARNING: %s: %d failed requests (not counted in its rate)", v.name, res.errors)
					}
					rounds[i] = append(rounds[i], res)
				}
			}
			stop()
			r.ceil = median(ceil)
			for i, v := range all {
				*v.out(r) = median(append([]result{}, rounds[i]...))
			}
			idx := map[string]int{}
			for i, v := range all {
				idx[v.name] = i
			}
			perRound := func(a, b string) spread {
				ia, okA := idx[a]
				ib, okB := idx[b]
				if !okA || !okB {
					return spread{}
				}
				var rs []float64
				for k := range rounds[ia] {
					rs = append(rs, ratio(rounds[ia][k].rate, rounds[ib][k].rate))
				}
				return spreadOf(rs)
			}
			r.warmHTTP = perRound("warm", httpCeiling)
			r.warmHeaders = perRound("warm", tileHeaderCeiling)
			r.coldBase = perRound("cold", "cold (baseline)")
			r.warmBase = perRound("warm", "warm (baseline)")
			r.gzipWarm = perRound("warm gzip", "warm")
			r.gzipBase = perRound("warm gzip", "warm (baseline)")
			rows = append(rows, r)
			log.Printf("  ceiling %s | cold %s | warm %s | warm gzip %s | HTTP ceiling %s | with a tile's headers %s", r.ceil, r.cold, r.warm, r.warmGzip, r.http, r.httpHeaders)
			if baseBin != "" {
				log.Printf("  baseline: cold %s | warm %s", r.baseCold, r.baseWarm)
			}
		}
	}
	report(os.Stdout, rows, load.name(), conns, cfg)
	return nil
}

// variant is a server measured, and how it is asked.
type variant struct {
	name string
	srv  *server
	out  func(*row) *result
	gzip bool // asks with Accept-Encoding: gzip
}

// variantNamed is the variant of vs called name (run starts a warm one
// always).
func variantNamed(vs []variant, name string) variant {
	for _, v := range vs {
		if v.name == name {
			return v
		}
	}
	panic("no variant " + name)
}

// headers are the request headers of a variant's load: its server's
// token, and Accept-Encoding: gzip for the gzip variant (wrk and the Go
// client send none unless told).
func (v variant) headers() map[string]string {
	h := map[string]string{"Authorization": "Bearer " + v.srv.token}
	if v.gzip {
		h["Accept-Encoding"] = "gzip"
	}
	return h
}

// The HTTP ceilings' names among the variants: the bare server, and the
// same writing a tile's headers.
const (
	httpCeiling       = "HTTP ceiling"
	tileHeaderCeiling = "HTTP ceiling, tile headers"
)

// roundOrder is the order of all's servers in a round: rotated by round,
// with the warm server and the HTTP ceiling always back to back (which of
// the two goes first alternating by round), so that the ratio of the two
// is taken under the same load from elsewhere on the machine; the ceiling
// with a tile's headers right after them. Every server is in it once.
func roundOrder(all []variant, round int) []int {
	warm, ceiling, headers := -1, -1, -1
	var slots [][]int
	for i, v := range all {
		switch v.name {
		case "warm":
			warm = i
		case httpCeiling:
			ceiling = i
		case tileHeaderCeiling:
			headers = i
		default:
			slots = append(slots, []int{i})
		}
	}
	var group []int // warm and the ceilings, in their order
	if warm >= 0 && ceiling >= 0 && round%2 == 1 {
		warm, ceiling = ceiling, warm
	}
	for _, i := range []int{warm, ceiling, headers} {
		if i >= 0 {
			group = append(group, i)
		}
	}
	if len(group) > 0 {
		slots = append(slots, group)
	}
	var order []int
	for k := range slots {
		order = append(order, slots[(k+round)%len(slots)]...)
	}
	return order
}

// median is the round with the median throughput.
func median(rs []result) result {
	sort.Slice(rs, func(i, j int) bool { return rs[i].rate < rs[j].rate })
	return rs[len(rs)/2]
}

type server struct {
	base  string
	token string
	cmd   *exec.Cmd
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// buildRiskmap builds the riskmap command of the module at root into bin.
func buildRiskmap(ctx context.Context, root, bin string) error {
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/riskmap")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build in %s: %w\n%s", root, err, out)
	}
	return nil
}

// startServer runs `riskmap serve` on a free loopback port against url; its
// log goes to a file, as a deployment's would.
func startServer(ctx context.Context, bin, url, dir, name string, cacheMB, conns, procs int) (*server, error) {
	addr, err := workload.FreeAddr()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "serve-"+strings.NewReplacer(" ", "-", "(", "", ")", "").Replace(name)+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "serve", "--addr", addr, "--tile-cache-mb", strconv.Itoa(cacheMB), "--tile-db-conns", strconv.Itoa(conns), "--blob-dir", filepath.Join(dir, "blobs"))
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url)
	if procs > 0 {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(procs))
	}
	if e := os.Getenv("BENCH_SERVER_ENV"); e != "" { // e.g. GOMAXPROCS=1, for experiments
		cmd.Env = append(cmd.Env, strings.Fields(e)...)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{base: "http://" + addr, cmd: cmd}
	for i := 0; i < 300; i++ {
		res, err := http.Get(s.base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				// the tile listener connects right after: give it a moment
				time.Sleep(500 * time.Millisecond)
				return s, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("riskmap serve did not come up on %s (log in %s)", addr, logf.Name())
}
