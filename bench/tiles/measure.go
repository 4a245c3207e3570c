package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/bench/internal/wrk"
	"riskmap/tiles"
)

// result is one measurement: throughput and latency percentiles.
type result struct {
	rate     float64 // tiles per second
	p50, p99 time.Duration
	n        int
	errors   int
	// CPU used: by the database backends, and by the client (ceiling) or
	// the server and wrk (cold, warm)
	dbCPU, appCPU time.Duration
	loaderCPU     time.Duration // wrk's or the Go client's own
}

// cpuPerTile is the CPU (all of it: database, client or server, load
// generator) each tile cost.
func (r result) cpuPerTile() time.Duration {
	if r.n == 0 {
		return 0
	}
	return (r.dbCPU + r.appCPU + r.loaderCPU) / time.Duration(r.n)
}

func (r result) String() string {
	per := func(d time.Duration) string {
		if r.n == 0 {
			return "-"
		}
		return fmtDur(d / time.Duration(r.n))
	}
	return fmt.Sprintf("%8.0f/s p50 %7s p99 %7s cpu/tile %s (db %s, app %s, loader %s)", r.rate, fmtDur(r.p50), fmtDur(r.p99),
		fmtDur(r.cpuPerTile()), per(r.dbCPU), per(r.appCPU), per(r.loaderCPU))
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= 100*time.Millisecond:
		return fmt.Sprintf("%.0fms", float64(d)/1e6)
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.0fµs", float64(d)/1e3)
}

func summarise(lat []time.Duration, elapsed time.Duration, errors int) result {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r := result{n: len(lat), errors: errors, rate: float64(len(lat)) / elapsed.Seconds()}
	if len(lat) > 0 {
		r.p50 = lat[len(lat)/2]
		r.p99 = lat[len(lat)*99/100]
	}
	return r
}

// readTiles reads a tile list (z/x/y lines).
func readTiles(path string) ([]tiles.TileID, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []tiles.TileID
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(strings.TrimSpace(sc.Text()), "/")
		if len(p) != 3 {
			continue
		}
		t, err := tiles.ParseTileID(p[0], p[1], p[2])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, t)
	}
	return out, sc.Err()
}

// sqlRunner runs the server's own tile SQL (tiles.Service.Query) straight
// against PostgreSQL from as many connections as the server's pool has,
// each cycling through the tile list from its own offset: the ceiling.
type sqlRunner struct {
	conns []*pgx.Conn
	qs    []query
	bytes float64 // mean tile size over the list
}

type query struct {
	sql  string
	args []any
}

func newSQLRunner(ctx context.Context, url string, svc *tiles.Service, scope riskmap.Scope, layer string, list []tiles.TileID, conns int) (*sqlRunner, error) {
	r := &sqlRunner{}
	for _, t := range list {
		sql, args, err := svc.Query(scope, layer, t)
		if err != nil {
			return nil, err
		}
		r.qs = append(r.qs, query{sql, args})
	}
	for range conns {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			r.close()
			return nil, err
		}
		r.conns = append(r.conns, c)
	}
	// the mean size, and every connection's statements prepared
	total := 0
	for _, c := range r.conns {
		total = 0
		for i, q := range r.qs {
			var b []byte
			if q.sql != "" {
				if err := c.QueryRow(ctx, q.sql, q.args...).Scan(&b); err != nil {
					r.close()
					return nil, fmt.Errorf("tile %s: %w", list[i], err)
				}
			}
			total += len(b)
		}
	}
	r.bytes = float64(total) / float64(len(r.qs))
	return r, nil
}

func (r *sqlRunner) close() {
	for _, c := range r.conns {
		c.Close(context.Background())
	}
}

func (r *sqlRunner) run(ctx context.Context, d time.Duration) result {
	var mu sync.Mutex
	var all []time.Duration
	errs := 0
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w, c := range r.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			e := 0
			for i := w * len(r.qs) / len(r.conns); time.Now().Before(deadline); i++ {
				q := r.qs[i%len(r.qs)]
				t0 := time.Now()
				var b []byte
				if q.sql != "" {
					if err := c.QueryRow(ctx, q.sql, q.args...).Scan(&b); err != nil {
						e++
						continue
					}
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			errs += e
			mu.Unlock()
		}()
	}
	wg.Wait()
	return summarise(all, time.Since(start), errs)
}

// paths are the request paths of a tile list.
func paths(layer string, list []tiles.TileID) []string {
	out := make([]string, len(list))
	for i, t := range list {
		out[i] = "/tiles/" + layer + "/" + t.String() + ".mvt"
	}
	return out
}

// fetchAll requests every path once (sequentially) with headers, checking
// the status, and returns the mean body size as sent and whether every
// tile of GzipMinSize or more came gzipped: it warms a cache, and shows the
// server sends what the SQL makes (or its gzip, when asked).
func fetchAll(base string, headers map[string]string, ps []string) (mean float64, gzipped bool, err error) {
	total := 0
	gzipped = true
	tr := &http.Transport{DisableCompression: true} // the bytes as sent
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	for _, p := range ps {
		req, _ := http.NewRequest("GET", base+p, nil)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		res, err := client.Do(req)
		if err != nil {
			return 0, false, err
		}
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 && res.StatusCode != 204 {
			return 0, false, fmt.Errorf("GET %s: %s", p, res.Status)
		}
		if res.Header.Get("Content-Encoding") != "gzip" && n >= tiles.GzipMinSize {
			gzipped = false
		}
		total += int(n)
	}
	return float64(total) / float64(len(ps)), gzipped, nil
}

// load drives HTTP requests at the server with conns connections for d.
type loader interface {
	run(ctx context.Context, base string, headers map[string]string, ps []string, conns int, d time.Duration) (result, error)
	name() string
}

// goLoader is a Go HTTP client per connection, cycling through the paths.
type goLoader struct{}

func (goLoader) name() string { return "Go net/http client" }

func (goLoader) run(ctx context.Context, base string, headers map[string]string, ps []string, conns int, d time.Duration) (result, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	var mu sync.Mutex
	var all []time.Duration
	errs := 0
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	cpu0 := selfCPU()
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			e := 0
			for i := w * len(ps) / conns; time.Now().Before(deadline); i++ {
				req, _ := http.NewRequestWithContext(ctx, "GET", base+ps[i%len(ps)], nil)
				for k, v := range headers {
					req.Header.Set(k, v)
				}
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					e++
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode >= 300 {
					e++
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			errs += e
			mu.Unlock()
		}()
	}
	wg.Wait()
	r := summarise(all, time.Since(start), errs)
	r.loaderCPU = selfCPU() - cpu0
	return r, nil
}

// wrkLoader runs wrk (2 threads, as the reference figures) through
// bench/internal/wrk, cycling through the paths.
type wrkLoader struct{ dir string }

func (wrkLoader) name() string { return "wrk -t2" }

func (w wrkLoader) run(ctx context.Context, base string, headers map[string]string, ps []string, conns int, d time.Duration) (result, error) {
	res, err := wrk.Run(ctx, w.dir, base, ps, headers, conns, d)
	if err != nil {
		return result{}, err
	}
	r := result{rate: res.Rate, p50: res.P50, p99: res.P99, n: res.N, errors: res.Errors, loaderCPU: res.CPU}
	// wrk's Requests/sec counts every answer, errors too: only the tiles
	// served count (the Go client counts them alike)
	if r.errors > 0 && r.n > 0 {
		ok := max(r.n-r.errors, 0)
		r.rate *= float64(ok) / float64(r.n)
		r.n = ok
	}
	return r, nil
}
