package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net"
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
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/riskmap")
	build.Dir = cfg.root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
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
	// both servers run throughout; each (layer, zoom) is measured in rounds
	// of ceiling, cold, warm in turn, so that load from elsewhere on the
	// machine falls on all three alike; the median round of each counts
	cold, err := startServer(ctx, bin, url, tmp, 0, conns, cfg.procs)
	if err != nil {
		return err
	}
	defer cold.stop()
	warm, err := startServer(ctx, bin, url, tmp, 256, conns, cfg.procs)
	if err != nil {
		return err
	}
	defer warm.stop()
	for _, srv := range []*server{cold, warm} {
		if srv.token, err = login(srv.base, password); err != nil {
			return err
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
			for _, srv := range []*server{cold, warm} {
				mean, err := fetchAll(srv.base, srv.token, ps) // warms the cache when on
				if err != nil {
					runner.close()
					return err
				}
				if mean != r.bytes {
					log.Printf("note: %s z%d: the server sent %.0f bytes a tile on average, the SQL made %.0f", layer, z, mean, r.bytes)
				}
			}
			log.Printf("%s z%d: %d rounds of %s: ceiling (%d connections), cold and warm (%s, %d connections)",
				layer, z, cfg.rounds, cfg.duration, conns, load.name(), cfg.conns)
			var ceil, cl, wm []result
			for range cfg.rounds {
				meter.begin(ctx)
				c0 := selfCPU()
				res := runner.run(ctx, cfg.duration)
				res.appCPU, res.dbCPU = selfCPU()-c0, meter.used(ctx)
				ceil = append(ceil, res)
				for _, x := range []struct {
					srv *server
					out *[]result
				}{{cold, &cl}, {warm, &wm}} {
					meter.begin(ctx)
					s0 := procCPU(x.srv.cmd.Process.Pid)
					res, err := load.run(ctx, x.srv.base, x.srv.token, ps, cfg.conns, cfg.duration)
					if err != nil {
						runner.close()
						return err
					}
					res.appCPU, res.dbCPU = procCPU(x.srv.cmd.Process.Pid)-s0, meter.used(ctx)
					if res.errors > 0 {
						log.Printf("WARNING: %d failed requests", res.errors)
					}
					*x.out = append(*x.out, res)
				}
			}
			runner.close()
			r.ceil, r.cold, r.warm = median(ceil), median(cl), median(wm)
			rows = append(rows, r)
			log.Printf("  ceiling %s | cold %s | warm %s", r.ceil, r.cold, r.warm)
		}
	}
	report(os.Stdout, rows, load.name(), conns, cfg)
	return nil
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

// startServer runs `riskmap serve` on a free loopback port against url; its
// log (one line a request) goes to a file, as a deployment's would.
func startServer(ctx context.Context, bin, url, dir string, cacheMB, conns, procs int) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	logf, err := os.Create(filepath.Join(dir, fmt.Sprintf("serve-%d.log", cacheMB)))
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

func login(base, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": benchUser, "password": password})
	res, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var out struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Token == "" {
		return "", fmt.Errorf("login: %s %v", res.Status, err)
	}
	return out.Token, nil
}
