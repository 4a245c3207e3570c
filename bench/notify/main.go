// Command notify benchmarks the reminder and escalation job on 100,000
// open cases with deadlines, over the shared benchmark city (bench/data:
// ≈6,000 grids in 48 townships and 4 counties):
//
//	flock -o /tmp/riskmap-bench.lock go run ./bench/notify [-cases 100000] [-clients 8] [-d 20s] [-reuse] [-keep=false]
//
// It creates (or, with -reuse, reuses) the scratch database
// scratch_notify_bench, loads the city, an office user per township and
// county, the city's, a grid worker per township, a generic robot per
// county and the cases (deadlines spread evenly from 30 days ago to 60 days
// ahead, a tenth of them major), then starts `riskmap serve
// --notify-job=false` (so that only the benchmark runs the job) and puts a
// closed-loop read load on it — the county's escalated list, one case, the
// township's unread notifications, the city's statistics — in four phases
// of the same length:
//
//  1. without the job;
//  2. during the job's first run, which catches up (escalates every case
//     overdue by more than 3 days, sends every overdue and deadline
//     reminder, writes the notifications and the robots' messages);
//  3. without the job again (how much the machine drifted);
//  4. with the job running back to back in its steady state (nothing new).
//
// It prints the job's run times, and each phase's requests per second and
// p50 and p99 latency, with p99 as a ratio to phase 1's: ratios, from one
// run, since the machine is shared.
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	benchdata "riskmap/bench/data"
	"riskmap/bench/load/workload"
	"riskmap/blobs"
	"riskmap/cases"
	"riskmap/localdb"
	"riskmap/notify"
	"riskmap/postgres"
)

// scratchDB is the benchmark's own database.
const scratchDB = "scratch_notify_bench"

func main() {
	n := flag.Int("cases", 100000, "open cases with deadlines")
	clients := flag.Int("clients", 8, "concurrent readers")
	d := flag.Duration("d", 20*time.Second, "length of each load phase (phase 2 lasts as long as the first run)")
	reuse := flag.Bool("reuse", false, "reuse "+scratchDB+" if it holds the city already")
	keep := flag.Bool("keep", true, "keep the scratch database afterwards (for -reuse)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *n, *clients, *d, *reuse, *keep); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, n, clients int, d time.Duration, reuse, keep bool) error {
	root, err := benchdata.Root()
	if err != nil {
		return err
	}
	c := localdb.Config()
	if err := c.Start(ctx); err != nil {
		return err
	}
	url := c.DatabaseURL(scratchDB)
	if !reuse || !benchdata.Loaded(ctx, url) {
		t0 := time.Now()
		log.Printf("loading the benchmark city into %s", scratchDB)
		if err := benchdata.Create(ctx, root, c.DatabaseURL("postgres"), url, scratchDB); err != nil {
			return err
		}
		log.Printf("loaded in %s", time.Since(t0).Round(time.Second))
	} else if err := benchdata.Migrate(ctx, url); err != nil {
		return err
	}
	if !keep {
		defer func() { _ = benchdata.Drop(context.Background(), c.DatabaseURL("postgres"), scratchDB) }()
	}
	pool, err := postgres.Open(ctx, url, 8)
	if err != nil {
		return err
	}
	defer pool.Close()
	t0 := time.Now()
	tokens, err := setUp(ctx, pool, n)
	if err != nil {
		return err
	}
	log.Printf("%d cases, users and robots made in %s", n, time.Since(t0).Round(time.Second))

	// the server under the read load, out of the job
	dir, err := os.MkdirTemp("", "riskmap-bench-notify-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin, err := workload.Build(ctx, dir)
	if err != nil {
		return err
	}
	srv, err := workload.Start(ctx, bin, url, filepath.Join(dir, "serve.log"), "--notify-job=false", "--blob-dir", filepath.Join(dir, "blobs"))
	if err != nil {
		return err
	}
	defer srv.Stop(20 * time.Second)

	b, err := blobs.NewDir(filepath.Join(dir, "jobblobs"))
	if err != nil {
		return err
	}
	svc := notify.New(pool, cases.NewStore(pool, b, cases.Config{}), notify.Config{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), PublicURL: "https://riskmap.example.cn"})

	var ids []string
	rows, err := pool.Query(ctx, `SELECT id::text FROM cases WHERE county_code = '441502000000' ORDER BY id LIMIT 2000`)
	if err != nil {
		return err
	}
	if ids, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return err
	}
	fmt.Printf("riskmap notify benchmark: %d open cases with deadlines, %d readers, phases of %s\n", n, clients, d)
	fmt.Printf("load average before: %s, %d CPUs\n\n", benchdata.LoadAverage(), runtime.NumCPU())

	load := func(until func() bool) phase {
		return readLoad(ctx, srv.Base, tokens, ids, clients, until)
	}
	timed := func() func() bool {
		end := time.Now().Add(d)
		return func() bool { return time.Now().After(end) }
	}
	var phases []phase
	var names []string
	// warm the server and the database's caches first
	load(func() bool { return true })
	readLoad(ctx, srv.Base, tokens, ids, clients, timed())
	p := load(timed())
	phases, names = append(phases, p), append(names, "1. no job")

	// the first run, catching up, under the load
	var first notify.RunReport
	var firstErr error
	done := make(chan struct{})
	go func() {
		first, firstErr = svc.RunOnce(ctx, time.Now())
		close(done)
	}()
	p = load(func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	})
	<-done
	if firstErr != nil {
		return firstErr
	}
	phases, names = append(phases, p), append(names, "2. the first run (catching up)")
	var notifications, messages, events int
	pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM notifications), (SELECT count(*) FROM notification_outbox),
		(SELECT count(*) FROM case_events WHERE action = 'escalate')`).Scan(&notifications, &messages, &events)

	p = load(timed())
	phases, names = append(phases, p), append(names, "3. no job (again)")

	// steady state: the job back to back
	var steady []time.Duration
	stopJob := make(chan struct{})
	jobDone := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stopJob:
				jobDone <- nil
				return
			default:
			}
			t := time.Now()
			if _, err := svc.RunOnce(ctx, time.Now()); err != nil {
				jobDone <- err
				return
			}
			steady = append(steady, time.Since(t))
		}
	}()
	p = load(timed())
	close(stopJob)
	if err := <-jobDone; err != nil {
		return err
	}
	phases, names = append(phases, p), append(names, "4. steady runs, back to back")

	fmt.Printf("first run: %s — %d escalate events, reminders %v; %d notifications, %d robot messages written\n",
		first.Took.Round(time.Millisecond), events, first.Reminders, notifications, messages)
	sort.Slice(steady, func(i, j int) bool { return steady[i] < steady[j] })
	if len(steady) > 0 {
		fmt.Printf("steady runs: %d, median %s, slowest %s\n\n", len(steady), steady[len(steady)/2].Round(time.Millisecond),
			steady[len(steady)-1].Round(time.Millisecond))
	}
	base := phases[0].p99
	fmt.Printf("| phase | requests | req/s | p50 | p99 | p99 / phase 1 | errors |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for i, p := range phases {
		fmt.Printf("| %s | %d | %.0f | %s | %s | %.2f× | %d |\n", names[i], p.n, float64(p.n)/p.took.Seconds(), ms(p.p50), ms(p.p99),
			float64(p.p99)/float64(base), p.errors)
	}
	fmt.Printf("\nload average after: %s\n", benchdata.LoadAverage())
	return nil
}

type phase struct {
	n, errors int
	took      time.Duration
	p50, p99  time.Duration
}

// readLoad runs the closed-loop readers until until() says so.
func readLoad(ctx context.Context, base string, tokens map[string]string, ids []string, clients int, until func() bool) phase {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	var mu sync.Mutex
	var lat []time.Duration
	errors := 0
	start := time.Now()
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := mrand.New(mrand.NewPCG(uint64(w), 1))
			for ctx.Err() == nil {
				var path, user string
				switch r.IntN(4) {
				case 0:
					path, user = "/api/v1/cases?escalated=true&limit=100", "county"
				case 1:
					path, user = "/api/v1/cases/"+ids[r.IntN(len(ids))], "county"
				case 2:
					path, user = "/api/v1/notifications?unread=true&limit=50", "township"
				default:
					path, user = "/api/v1/stats/rectification?group_by=township", "city"
				}
				req, _ := http.NewRequestWithContext(ctx, "GET", base+path, nil)
				req.Header.Set("Authorization", "Bearer "+tokens[user])
				t := time.Now()
				res, err := client.Do(req)
				took := time.Since(t)
				ok := err == nil && res.StatusCode == 200
				if err == nil {
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				mu.Lock()
				lat = append(lat, took)
				if !ok {
					errors++
				}
				stop := until()
				mu.Unlock()
				if stop {
					return
				}
			}
		}()
	}
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(f float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[int(math.Min(float64(len(lat)-1), f*float64(len(lat))))]
	}
	return phase{n: len(lat), errors: errors, took: time.Since(start), p50: q(0.5), p99: q(0.99)}
}

// setUp makes the users (with a session each for the readers), the robots
// and the cases, and clears what an earlier run's job wrote.
func setUp(ctx context.Context, pool *pgxpool.Pool, n int) (map[string]string, error) {
	tokens := map[string]string{}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// an earlier run's users, cases and what the job made of them
		// (users are deleted, not truncated: TRUNCATE … CASCADE would empty
		// every table referring to them, notification_rules among them)
		if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica;
			TRUNCATE notifications, notification_outbox, notification_channels, case_reminders, feed_events, case_events, attachments,
				case_reports, cases RESTART IDENTITY CASCADE;
			DELETE FROM sessions; DELETE FROM user_areas; DELETE FROM user_grids; DELETE FROM users;
			UPDATE feed_state SET pruned_through = 0;
			UPDATE job_leases SET holder = NULL, expires_at = NULL, next_run_at = '-infinity'`); err != nil {
			return err
		}
		mk := func(name, role string, areas, grids []string) (int64, error) {
			var id int64
			err := tx.QueryRow(ctx, `INSERT INTO users (username, display_name, role, password_hash) VALUES ($1, $1, $2, 'x') RETURNING id`,
				name, role).Scan(&id)
			if err != nil {
				return 0, err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO user_areas (user_id, area_code) SELECT $1, unnest($2::text[])`, id, areas); err != nil {
				return 0, err
			}
			_, err = tx.Exec(ctx, `INSERT INTO user_grids (user_id, grid_code) SELECT $1, unnest($2::text[])`, id, grids)
			return id, err
		}
		session := func(key string, id int64) error {
			b := make([]byte, 24)
			_, _ = rand.Read(b)
			tok := "rm_bench_" + hex.EncodeToString(b)
			sum := sha256.Sum256([]byte(tok))
			tokens[key] = tok
			_, err := tx.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, now() + interval '1 day')`, sum[:], id)
			return err
		}
		city, err := mk("city", "city", []string{"441500000000"}, nil)
		if err != nil {
			return err
		}
		if err := session("city", city); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT code, level FROM areas WHERE level IN ('county', 'township') ORDER BY code`)
		if err != nil {
			return err
		}
		type area struct{ code, level string }
		var areas []area
		for rows.Next() {
			var a area
			if err := rows.Scan(&a.code, &a.level); err != nil {
				rows.Close()
				return err
			}
			areas = append(areas, a)
		}
		rows.Close()
		for _, a := range areas {
			id, err := mk(a.level+"_"+a.code, a.level, []string{a.code}, nil)
			if err != nil {
				return err
			}
			switch {
			case a.code == "441502000000":
				err = session("county", id)
			case a.level == "township" && tokens["township"] == "" && strings.HasPrefix(a.code, "441502"):
				err = session("township", id)
			case a.level == "county":
				_, err = tx.Exec(ctx, `INSERT INTO notification_channels (area_code, level, kind, name, url, secret)
					VALUES ($1, 'county', 'generic', '县应急值班系统', 'http://127.0.0.1:9/hook', 'bench-secret-0123456789')`, a.code)
			}
			if err != nil {
				return err
			}
			if a.level == "township" {
				var grid string
				if err := tx.QueryRow(ctx, `SELECT min(code) FROM grids WHERE township_code = $1`, a.code).Scan(&grid); err != nil {
					return err
				}
				if _, err := mk("worker_"+a.code, "worker", nil, []string{grid}); err != nil {
					return err
				}
			}
		}
		// the cases, loaded as a bulk import would be (no per-row triggers):
		// deadlines from 30 days ago to 60 ahead, a tenth major
		if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			WITH g AS (
				SELECT row_number() OVER (ORDER BY g.id) AS k, g.code, g.township_code, g.county_code, ST_PointOnSurface(g.geom) AS p, w.id AS worker
				  FROM grids g JOIN users w ON w.username = 'worker_' || g.township_code),
			k AS (SELECT count(*) AS c FROM g)
			INSERT INTO cases (id, grade, category, description, reporter_name, state, assignee_id, assignee_name, deadline, reported_at,
				grid_code, township_code, county_code, geom)
			SELECT gen_random_uuid(), CASE WHEN i % 10 = 0 THEN 'major' ELSE 'general' END,
				(ARRAY['geological','flood','reservoir','coastal','forest_fire','crowded_place','construction','road_traffic','fire','other'])[1 + i % 10],
				'基准测试隐患 ' || i, '网格员', CASE WHEN i % 3 = 0 THEN 'assigned' ELSE 'rectifying' END, g.worker, '网格员',
				now() + make_interval(secs => ((i * 7919) % 90 - 30) * 86400.0 + (i * 37) % 86400),
				now() - interval '40 days', g.code, g.township_code, g.county_code, g.p
			  FROM generate_series(1, $1) i CROSS JOIN k JOIN g ON g.k = 1 + i % k.c`, n)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("set up: %w", err)
	}
	var rules int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM notification_rules`).Scan(&rules); err != nil || rules == 0 {
		return nil, fmt.Errorf("%s has no notification rules (%v): run without -reuse to make it anew", scratchDB, err)
	}
	_, err = pool.Exec(ctx, "ANALYZE cases; ANALYZE users; ANALYZE user_areas")
	return tokens, err
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
