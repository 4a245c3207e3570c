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
	"strconv"
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
	conns := serverConns()
	var rows []*row
	for _, layer := range cfg.layers {
		if err := svc.CheckLayer(layer); err != nil {
			return err
		}
		for _, z := range cfg.zooms {
			r := &row{layer: layer, zoom: z}
			log.Printf("ceiling %s z%d: the tile SQL over %d connections", layer, z, conns)
			if r.ceil, r.bytes, err = ceiling(ctx, url, svc, scope, layer, lists[z], conns, cfg.duration); err != nil {
				return err
			}
			rows = append(rows, r)
		}
	}
	for _, phase := range []struct {
		name    string
		cacheMB int
	}{{"cold", 0}, {"warm", 256}} {
		srv, err := startServer(ctx, bin, url, tmp, phase.cacheMB)
		if err != nil {
			return err
		}
		token, err := login(srv.base, password)
		if err != nil {
			srv.stop()
			return err
		}
		for _, r := range rows {
			ps := paths(r.layer, lists[r.zoom])
			mean, err := fetchAll(srv.base, token, ps) // warms the cache when on
			if err != nil {
				srv.stop()
				return err
			}
			if mean != r.bytes {
				log.Printf("note: %s z%d: the server sent %.0f bytes a tile on average, the SQL made %.0f", r.layer, r.zoom, mean, r.bytes)
			}
			log.Printf("%s %s z%d: %s, %d connections, %s", phase.name, r.layer, r.zoom, load.name(), cfg.conns, cfg.duration)
			res, err := load.run(ctx, srv.base, token, ps, cfg.conns, cfg.duration)
			if err != nil {
				srv.stop()
				return err
			}
			if res.errors > 0 {
				log.Printf("WARNING: %d failed requests", res.errors)
			}
			if phase.name == "cold" {
				r.cold = res
			} else {
				r.warm = res
			}
		}
		srv.stop()
	}
	report(os.Stdout, rows, load.name(), conns, cfg)
	return nil
}

type server struct {
	base string
	cmd  *exec.Cmd
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
func startServer(ctx context.Context, bin, url, dir string, cacheMB int) (*server, error) {
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
	cmd := exec.CommandContext(ctx, bin, "serve", "--addr", addr, "--tile-cache-mb", strconv.Itoa(cacheMB), "--blob-dir", filepath.Join(dir, "blobs"))
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url)
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
