// Command routine benchmarks the routine work's two hot reads on the shared
// benchmark data set (bench/data: ≈6,000 grids, 300,000 risk points, 20,000
// hazard sources) with 2,000,000 patrols, 200,000 inspections and
// 1,000,000 cases added:
//
//		flock -o /tmp/riskmap-bench.lock go run ./bench/routine [-reuse] [-d 20s] [-runs 5]
//
//	 1. A grid worker's due list, GET /api/v1/patrols/due?near=…&days=30,
//	    for 50 workers at once (closed loop, no think time), each with grids
//	    holding at least 300 active risk points; target p50 < 20 ms. In the
//	    same run, the same lists asked of patrols.Store.Due in-process (no
//	    HTTP, no JSON framing), the ceiling the route is compared with.
//	 2. The inspection statistics of the city over the year, by township,
//	    GET /api/v1/stats/inspections; target < 1 s. In the same run, the
//	    rectification statistics of the same year (the existing route, the
//	    closest the user has) for the ratio.
//
// It serves riskmap's real API in-process on loopback, on the scratch
// database scratch_routine_bench of the local cluster (created, loaded,
// and kept for -reuse).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"riskmap"
	"riskmap/api"
	"riskmap/audit"
	"riskmap/auth"
	benchdata "riskmap/bench/data"
	"riskmap/blobs"
	"riskmap/cases"
	"riskmap/features"
	"riskmap/inspections"
	"riskmap/localdb"
	"riskmap/patrols"
	"riskmap/postgres"
)

// scratchDB is the benchmark's own database.
const scratchDB = "scratch_routine_bench"

// cpuProfile names the file the HTTP due lists' CPU profile goes to.
var cpuProfile string

const (
	workers         = 50
	pointsPerWorker = 300
	password        = "bench-routine-1"
)

func main() {
	reuse := flag.Bool("reuse", false, "reuse "+scratchDB+" if it is loaded already")
	d := flag.Duration("d", 20*time.Second, "how long the due-list load runs (each side)")
	runs := flag.Int("runs", 5, "timed runs of each statistics question (the median is printed)")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the two timed HTTP rows of due lists (server and clients) to this file")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *reuse, *d, *runs); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, reuse bool, d time.Duration, runs int) error {
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
		t0 := time.Now()
		log.Printf("loading the data set into %s", scratchDB)
		if err := benchdata.Create(ctx, root, c.DatabaseURL("postgres"), url, scratchDB); err != nil {
			return err
		}
		if err := generate(ctx, url); err != nil {
			return err
		}
		log.Printf("loaded in %s", time.Since(t0).Round(time.Second))
	} else {
		log.Printf("reusing %s", scratchDB)
		if err := benchdata.Migrate(ctx, url); err != nil {
			return err
		}
	}
	pool, err := postgres.Open(ctx, url, int32(max(4, runtime.NumCPU())))
	if err != nil {
		return err
	}
	defer pool.Close()
	var rps, ps, is, cs int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM risk_points WHERE status = 'active'), (SELECT count(*) FROM patrols),
		(SELECT count(*) FROM inspections), (SELECT count(*) FROM cases)`).Scan(&rps, &ps, &is, &cs); err != nil {
		return err
	}
	fmt.Printf("data: %d active risk points, %d patrols, %d inspections, %d cases\n", rps, ps, is, cs)
	fmt.Printf("load average before: %s, %d CPUs\n\n", loadAverage(), runtime.NumCPU())
	defer func() { fmt.Printf("\nload average after: %s\n", loadAverage()) }()

	srv, err := newServer(pool)
	if err != nil {
		return err
	}
	// as `riskmap serve` does: the due lists are kept while changes are heard,
	lctx, stopListen := context.WithCancel(ctx)
	defer stopListen()
	go srv.Patrols.Listen(lctx, func(ctx context.Context) (*pgx.Conn, error) {
		return pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	})
	// and the tokens are remembered while account changes are heard
	go srv.Auth.Listen(lctx, func(ctx context.Context) (*pgx.Conn, error) {
		return pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	}, nil)
	for deadline := time.Now().Add(10 * time.Second); !srv.Patrols.Live() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	defer hs.Close()
	base := "http://" + ln.Addr().String()
	// the due lists' clients ask for gzip themselves (and do not unpack it)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * workers, DisableCompression: true}}

	ws, err := makeWorkers(ctx, pool, srv.Auth)
	if err != nil {
		return err
	}
	for i := range ws {
		if ws[i].token, err = login(ctx, client, base, ws[i].user.Username); err != nil {
			return err
		}
	}
	// the same store's SQL without kept lists (not listening): what each
	// list costs the database
	uncached := patrols.NewStore(pool, nil, srv.Cases, patrols.Config{})
	if err := dueLists(ctx, srv.Patrols, uncached, client, base, ws, d); err != nil {
		return err
	}
	city, err := login(ctx, client, base, "bench-city")
	if err != nil {
		return err
	}
	return statistics(ctx, client, base, city, runs)
}

// newServer is riskmap's API over pool, as `riskmap serve` wires it (no
// tiles: they are not asked here).
func newServer(pool *pgxpool.Pool) (*api.Server, error) {
	dir, err := os.MkdirTemp("", "riskmap-bench-blobs-")
	if err != nil {
		return nil, err
	}
	store, err := blobs.NewDir(dir)
	if err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &api.Server{
		Features: features.NewStore(pool),
		Auth:     auth.NewService(pool, time.Hour, auth.NewLimiter(1000, time.Minute)),
		Audit:    audit.NewLog(pool),
		DB:       pool,
		Logger:   logger,
		MaxBody:  8 << 20,
	}
	s.Cases = cases.NewStore(pool, store, cases.Config{})
	s.Patrols = patrols.NewStore(pool, store, s.Cases, patrols.Config{})
	s.Inspections = inspections.NewStore(pool, s.Cases, s.Patrols, inspections.Config{})
	return s, nil
}

// worker is a benchmark grid worker: their grids hold at least 300 active
// risk points; near is a point inside the first.
type worker struct {
	user  *riskmap.User
	token string
	near  orb.Point
}

// makeWorkers makes (or finds) the 50 workers: consecutive grids in code
// order, as many as hold 300 active risk points or more.
func makeWorkers(ctx context.Context, pool *pgxpool.Pool, a *auth.Service) ([]worker, error) {
	rows, err := pool.Query(ctx, `SELECT g.code, count(r.id), ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom))
		  FROM grids g JOIN risk_points r ON r.grid_code = g.code AND r.status = 'active'
		 GROUP BY g.code, g.geom ORDER BY g.code`)
	if err != nil {
		return nil, err
	}
	type grid struct {
		code string
		n    int
		p    orb.Point
	}
	var gs []grid
	for rows.Next() {
		var g grid
		if err := rows.Scan(&g.code, &g.n, &g.p[0], &g.p[1]); err != nil {
			rows.Close()
			return nil, err
		}
		gs = append(gs, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []worker
	var codes []string
	n := 0
	var first orb.Point
	for _, g := range gs {
		if len(codes) == 0 {
			first = g.p
		}
		codes = append(codes, g.code)
		if n += g.n; n < pointsPerWorker {
			continue
		}
		u, err := a.SaveUser(ctx, auth.UserSpec{Username: fmt.Sprintf("bench-worker-%02d", len(out)), Role: riskmap.RoleWorker,
			Grids: codes, Password: password})
		if err != nil {
			return nil, err
		}
		out = append(out, worker{user: u, near: first})
		codes, n = nil, 0
		if len(out) == workers {
			return out, nil
		}
	}
	return nil, fmt.Errorf("only %d workers of %d active risk points could be made", len(out), pointsPerWorker)
}

func login(ctx context.Context, c *http.Client, base, username string) (string, error) {
	body := fmt.Sprintf(`{"username":%q,"password":%q}`, username, password)
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/auth/login", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var out struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Token == "" {
		return "", fmt.Errorf("login %s: %d %v", username, res.StatusCode, err)
	}
	return out.Token, nil
}

// latencies summarises a run.
type latencies struct {
	times []time.Duration
	items int
	errs  int
	err   error // the first
}

func (l *latencies) add(o latencies) {
	l.times = append(l.times, o.times...)
	l.items += o.items
	l.errs += o.errs
	if l.err == nil {
		l.err = o.err
	}
}

func (l latencies) quantile(q float64) time.Duration {
	if len(l.times) == 0 {
		return 0
	}
	sort.Slice(l.times, func(i, j int) bool { return l.times[i] < l.times[j] })
	return l.times[min(len(l.times)-1, int(q*float64(len(l.times))))]
}

func (l latencies) row(name string, d time.Duration) string {
	n := len(l.times)
	items := 0.0
	if n > 0 {
		items = float64(l.items) / float64(n)
	}
	return fmt.Sprintf("%-40s %7d  %7.0f/s  p50 %6.1f ms  p90 %6.1f ms  p99 %6.1f ms  %5.1f points/list  %d errors",
		name, n, float64(n)/d.Seconds(), ms(l.quantile(0.5)), ms(l.quantile(0.9)), ms(l.quantile(0.99)), items, l.errs)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// closedLoop runs one goroutine per worker, each asking again as soon as it
// has its answer, for d.
func closedLoop(ctx context.Context, ws []worker, d time.Duration, ask func(w worker) (int, error)) latencies {
	var mu sync.Mutex
	var all latencies
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine latencies
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				n, err := ask(w)
				if err != nil {
					mine.errs++
					if mine.err == nil {
						mine.err = err
					}
					continue
				}
				mine.times = append(mine.times, time.Since(t0))
				mine.items += n
			}
			mu.Lock()
			all.add(mine)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all
}

// dueLists times the workers' due lists through HTTP and, in the same run,
// in-process.
func dueLists(ctx context.Context, ps, uncached *patrols.Store, c *http.Client, base string, ws []worker, d time.Duration) error {
	fmt.Printf("due lists: %d workers at once, closed loop, %s each side, near a point of the worker's first grid, days=30\n", len(ws), d)
	// The timed asks take gzip, as phones do, and read the whole answer
	// without unpacking or decoding it: on 2 shared cores the clients'
	// gunzip and JSON decoding cost more CPU than the server's answering
	// (pprof, 2026-12-07), and what is timed is the server's. Each
	// worker's list is asked once first, plain, decoded and checked (whole,
	// every point in the worker's grids); its count stands for the timed
	// answers', which are the same points in the same order (the walking
	// worker's: in another order).
	bufs := sync.Pool{New: func() any { return new(bytes.Buffer) }}
	counts := make(map[string]int, len(ws))
	ask := func(w worker, near orb.Point, check bool) (int, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/patrols/due?near=%.6f,%.6f&days=30&limit=1000", base, near[0], near[1]), nil)
		req.Header.Set("Authorization", "Bearer "+w.token)
		if !check {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		res, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		buf := bufs.Get().(*bytes.Buffer)
		defer bufs.Put(buf)
		buf.Reset()
		if _, err := buf.ReadFrom(res.Body); err != nil {
			return 0, err
		}
		if res.StatusCode != 200 {
			return 0, fmt.Errorf("status %d: %.200s", res.StatusCode, buf.Bytes())
		}
		if check {
			return checkDue(w, buf.Bytes())
		}
		if res.Header.Get("Content-Encoding") != "gzip" || buf.Len() < 1000 {
			return 0, fmt.Errorf("not a gzipped list: %q, %d bytes", res.Header.Get("Content-Encoding"), buf.Len())
		}
		return counts[w.user.Username], nil
	}
	for _, w := range ws {
		n, err := ask(w, w.near, true)
		if err != nil {
			return fmt.Errorf("due lists: %w", err)
		}
		counts[w.user.Username] = n
	}
	viaHTTP := func(w worker) (int, error) { return ask(w, w.near, false) }
	// a worker who walks: every ask from another spot (up to ~300 m off),
	// so that no answer is kept and every one is made
	var walked atomic.Int64
	walking := func(w worker) (int, error) {
		n := walked.Add(1)
		p := orb.Point{w.near[0] + float64(n%61-30)*0.0001, w.near[1] + float64(n%53-26)*0.0001}
		return ask(w, p, false)
	}
	within := 30
	inProcess := func(s *patrols.Store) func(w worker) (int, error) {
		return func(w worker) (int, error) {
			p := w.near
			page, err := s.Due(ctx, w.user, patrols.DueQuery{Near: &p, Within: &within, Limit: 1000})
			return len(page.Features), err
		}
	}
	// warm the connections and caches, untimed
	if warm := closedLoop(ctx, ws, 2*time.Second, viaHTTP); warm.errs > 0 {
		return fmt.Errorf("due lists: %d asks failed: %v", warm.errs, warm.err)
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	h := closedLoop(ctx, ws, d, viaHTTP)
	m := closedLoop(ctx, ws, d, walking)
	pprof.StopCPUProfile()
	p := closedLoop(ctx, ws, d, inProcess(ps))
	q := closedLoop(ctx, ws, d, inProcess(uncached))
	fmt.Println(h.row("GET /api/v1/patrols/due (HTTP)", d))
	fmt.Println(m.row("the same, each ask from another spot", d))
	fmt.Println(p.row("patrols.Store.Due (in-process ceiling)", d))
	fmt.Println(q.row("patrols.Store.Due, every list from SQL", d))
	if p.quantile(0.5) > 0 {
		fmt.Printf("HTTP p50 / in-process p50: %.2f; target p50 < 20 ms: %v\n\n", float64(h.quantile(0.5))/float64(p.quantile(0.5)), h.quantile(0.5) < 20*time.Millisecond)
	}
	if h.errs > 0 || m.errs > 0 || p.errs > 0 || q.errs > 0 {
		return errors.New("due lists: requests failed")
	}
	return nil
}

// checkDue decodes a due list and checks that it is whole and that every
// point lies in the worker's grids.
func checkDue(w worker, body []byte) (int, error) {
	var fc struct {
		Features []struct {
			Properties struct {
				GridCode string   `json:"grid_code"`
				Distance *float64 `json:"distance_m"`
			} `json:"properties"`
		} `json:"features"`
		NumberReturned int `json:"numberReturned"`
	}
	if err := json.Unmarshal(body, &fc); err != nil {
		return 0, err
	}
	if len(fc.Features) != fc.NumberReturned || fc.NumberReturned < 1 {
		return 0, fmt.Errorf("%s: %d features, numberReturned %d", w.user.Username, len(fc.Features), fc.NumberReturned)
	}
	for _, f := range fc.Features {
		if !slices.Contains(w.user.Grids, f.Properties.GridCode) || f.Properties.Distance == nil {
			return 0, fmt.Errorf("%s: a point of grid %s (distance %v) in the list of grids %v", w.user.Username,
				f.Properties.GridCode, f.Properties.Distance, w.user.Grids)
		}
	}
	return fc.NumberReturned, nil
}

// statistics times the inspection statistics of the city over the last
// year by township, and the rectification statistics of the same period.
func statistics(ctx context.Context, c *http.Client, base, token string, runs int) error {
	to := time.Now().In(cases.Shanghai())
	from := to.AddDate(0, 0, -364)
	q := fmt.Sprintf("?area=441500000000&from=%s&to=%s&group_by=township", from.Format("2006-01-02"), to.Format("2006-01-02"))
	ask := func(path string) (time.Duration, []byte, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+path+q, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		t0 := time.Now()
		res, err := c.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			return 0, nil, fmt.Errorf("%s: %d %s", path, res.StatusCode, b)
		}
		return time.Since(t0), b, err
	}
	fmt.Printf("statistics: the city, %s to %s, by township; %d runs each, alternating, after one untimed\n", from.Format("2006-01-02"), to.Format("2006-01-02"), runs)
	var insp, rect []time.Duration
	var sentence string
	for i := 0; i <= runs; i++ {
		a, body, err := ask("/api/v1/stats/inspections")
		if err != nil {
			return err
		}
		b, _, err := ask("/api/v1/stats/rectification")
		if err != nil {
			return err
		}
		if i == 0 {
			var st struct{ Sentence string }
			_ = json.Unmarshal(body, &st)
			sentence = st.Sentence
			continue
		}
		insp, rect = append(insp, a), append(rect, b)
	}
	med := func(ts []time.Duration) time.Duration {
		sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
		return ts[len(ts)/2]
	}
	fmt.Printf("%-40s median %7.1f ms  (min %.1f, max %.1f)  target < 1000 ms: %v\n", "GET /api/v1/stats/inspections", ms(med(insp)),
		ms(insp[0]), ms(insp[len(insp)-1]), med(insp) < time.Second)
	fmt.Printf("%-40s median %7.1f ms  (min %.1f, max %.1f)\n", "GET /api/v1/stats/rectification", ms(med(rect)), ms(rect[0]), ms(rect[len(rect)-1]))
	fmt.Printf("inspections / rectification: %.2f\n%s\n", float64(med(insp))/float64(med(rect)), sentence)
	return nil
}

func loaded(ctx context.Context, url string) bool {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return false
	}
	defer conn.Close(ctx)
	var p, i, c int
	err = conn.QueryRow(ctx, "SELECT (SELECT count(*) FROM patrols), (SELECT count(*) FROM inspections), (SELECT count(*) FROM cases)").Scan(&p, &i, &c)
	return err == nil && p == 2000000 && i == 200000 && c == 1000000
}

// loadAverage is /proc/loadavg's 1, 5 and 15 minute figures ("?" elsewhere).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// generateSQL adds the routine work to the loaded data set, as bulk loads
// do (session_replication_role = replica: no row triggers but the case
// counters, which fire always), with what the triggers would derive set
// here: 2,000,000 patrols (about nine per active risk point, the last of
// each point within 1.3 intervals of now, so that about a quarter are
// overdue; one in 20 off-site, one in 50 finding a problem) with the due
// date each answered; the points' last_inspection; 200,000 inspections
// over the last year (10 % by the city, 20 % by a county; one in 25 with a
// fine), two inspectors each; 1,000,000 cases over the last year, 30 % found
// by inspections and 5 % by patrols. $1 and $2 are the inspectors' ids.
const generateSQL = `
SET session_replication_role = replica;
UPDATE risk_points SET created_at = now() - interval '3 years';
CREATE TEMP TABLE ap AS
SELECT (row_number() OVER (ORDER BY r.id) - 1)::int AS i, r.id, r.risk_level, r.category, r.grid_code, r.township_code, r.county_code, r.geom,
       i.days AS iv, (abs(hashtext('f' || r.id)) % 130) / 100.0 AS f
  FROM risk_points r JOIN patrol_intervals i ON i.risk_level = r.risk_level WHERE r.status = 'active';
CREATE TEMP TABLE pn AS SELECT count(*)::int AS cnt FROM ap;
INSERT INTO patrols (id, risk_point_id, worker_name, device_time, received_at, patrolled_at, patrol_day, geom, accuracy_m,
	distance_m, off_site, off_site_limit_m, category, checklist_version, checklist, result, risk_level, due_on,
	grid_code, township_code, county_code)
SELECT md5('patrol' || n)::uuid, ap.id, '网格员', t, t, t, riskmap_cst_day(t),
       ST_Translate(ap.geom, CASE WHEN n % 20 = 0 THEN 0.003 ELSE 0.0002 END, 0), 10,
       CASE WHEN n % 20 = 0 THEN 307.5 ELSE 20.5 END, n % 20 = 0, 200, ap.category, 1, '{}', CASE WHEN n % 50 = 0 THEN 'problem' ELSE 'normal' END,
       ap.risk_level, CASE WHEN k = 0 THEN riskmap_cst_day(now() - interval '3 years') ELSE riskmap_cst_day(tp) + ap.iv END,
       ap.grid_code, ap.township_code, ap.county_code
  FROM generate_series(0, 1999999) n CROSS JOIN pn
  JOIN ap ON ap.i = n % pn.cnt
  CROSS JOIN LATERAL (SELECT n / pn.cnt AS k, CASE WHEN ap.i < 2000000 - 8 * pn.cnt THEN 9 ELSE 8 END AS kp) x
  CROSS JOIN LATERAL (SELECT now() - ((x.kp - 1 - x.k) + ap.f) * ap.iv * interval '1 day' AS t,
                             now() - ((x.kp - x.k) + ap.f) * ap.iv * interval '1 day' AS tp) y;
UPDATE risk_points r SET last_inspection = m.d FROM (SELECT risk_point_id, max(patrol_day) AS d FROM patrols GROUP BY 1) m WHERE r.id = m.risk_point_id;
CREATE TEMP TABLE hs AS SELECT (row_number() OVER (ORDER BY id) - 1)::int AS i, id, grid_code, township_code, county_code, geom FROM hazard_sources;
INSERT INTO inspections (id, hazard_source_id, inspected_on, kind, level, office_code, note, penalty_decision_no, penalty_yuan,
	recorded_by_name, recorded_at, geom, grid_code, township_code, county_code)
SELECT md5('inspection' || n)::uuid, hs.id, current_date - n % 365, (ARRAY['routine', 'random', 'special', 'follow_up'])[1 + n % 4],
       CASE WHEN n % 10 = 0 THEN 'city' WHEN n % 10 < 3 THEN 'county' ELSE 'township' END,
       CASE WHEN n % 10 = 0 THEN '441500000000' WHEN n % 10 < 3 THEN hs.county_code ELSE hs.township_code END, NULL,
       CASE WHEN n % 25 = 0 THEN 'bench-' || n END, CASE WHEN n % 25 = 0 THEN 1000 + n % 50000 END,
       'bench', now(), hs.geom, hs.grid_code, hs.township_code, hs.county_code
  FROM generate_series(0, 199999) n JOIN hs ON hs.i = n % 20000;
INSERT INTO inspection_inspectors (inspection_id, position, user_id, name)
SELECT i.id, p.position, p.uid, 'bench' FROM inspections i, (VALUES (0, $1::bigint), (1, $2::bigint)) p(position, uid);
CREATE TEMP TABLE g AS SELECT (row_number() OVER (ORDER BY code) - 1)::int AS i, code, township_code, county_code,
	ST_PointOnSurface(geom) AS p FROM grids;
INSERT INTO cases (id, state, grade, category, description, reported_at, reporter_name, deadline, closed_at, grid_code,
	township_code, county_code, geom, inspection_id, patrol_id)
SELECT md5('bench-case' || n)::uuid,
       CASE WHEN n % 100 < 93 THEN 'closed' WHEN n % 100 < 98 THEN 'rectifying' WHEN n % 100 = 98 THEN 'void' ELSE 'registered' END,
       CASE WHEN n % 33 = 0 THEN 'major' ELSE 'general' END, 'fire', 'bench', r, 'bench', r + interval '15 days',
       CASE WHEN n % 100 < 93 THEN r + (n % 20) * interval '1 day' END, g.code, g.township_code, g.county_code, g.p,
       CASE WHEN n % 10 < 3 THEN md5('inspection' || (n % 200000))::uuid END,
       CASE WHEN n % 20 = 3 THEN md5('patrol' || (n % 2000000))::uuid END
  FROM generate_series(0, 999999) n
  CROSS JOIN LATERAL (SELECT now() - interval '365 days' + (n % 364) * interval '1 day' + (n % 1440) * interval '1 minute' AS r) x
  JOIN g ON g.i = n % (SELECT count(*) FROM g);
SET session_replication_role = origin;`

// generate adds the city office (who asks for the statistics), the
// inspectors and the routine work to the loaded data set.
func generate(ctx context.Context, url string) error {
	pool, err := postgres.Open(ctx, url, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	a := auth.NewService(pool, time.Hour, auth.NewLimiter(1000, time.Minute))
	var ids []int64
	for _, name := range []string{"bench-city", "bench-city2"} {
		u, err := a.SaveUser(ctx, auth.UserSpec{Username: name, Role: riskmap.RoleCity, Areas: []string{"441500000000"}, Password: password})
		if err != nil {
			return err
		}
		ids = append(ids, u.ID)
	}
	t0 := time.Now()
	sql := strings.NewReplacer("$1", fmt.Sprint(ids[0]), "$2", fmt.Sprint(ids[1])).Replace(generateSQL)
	if _, err := pool.Exec(ctx, sql); err != nil {
		return fmt.Errorf("generate the routine work: %w", err)
	}
	log.Printf("patrols, inspections and cases generated in %s", time.Since(t0).Round(time.Second))
	_, err = pool.Exec(ctx, "VACUUM ANALYZE")
	return err
}
