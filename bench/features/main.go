// Command features benchmarks feature lists: OGC API items and the API's
// layer lists over the shared data set's 300,000 risk points, for the
// bounding boxes of z14 tiles (limit 100) and z12 tiles (limit 1000), as
// a map client asks them. It measures, in one run and in turns, the
// riskmap built from this checkout ("new") and the one built from the
// commit before the list speed-up ("old", or -baseline REV), and
// pg_featureserv when it is installed (on PATH), and prints the rates,
// their ratios and the answers' sizes.
//
//	go run ./bench/features [-d 10s] [-rounds 3] [-c 8] [-reuse] [-baseline REV]
//
// It works in its own scratch database, scratch_features_bench, on the
// local cluster (loaded as the tile benchmark's: package benchdata), as a
// city user (the scope check stays in every query). See README.md.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/auth"
	benchdata "riskmap/bench/data"
	"riskmap/bench/internal/login"
	"riskmap/bench/internal/wrk"
	"riskmap/localdb"
)

const (
	scratchDB = "scratch_features_bench"
	benchUser = "bench_city"
	benchArea = "441500000000"
	// landing is the subject of the merge that brought the list speed-up
	// (features: lists without turning geometries into JSON twice) onto
	// main: the default baseline is its second parent, main as it stood
	// before (the speed-up's own parent carries migrations numbered as
	// they were before that merge, which a database migrated since
	// refuses)
	landing = "Merge main into fidelity: one tile handler, ParseOptions, migrations 63x"
)

type config struct {
	d        time.Duration
	rounds   int
	conns    int
	reuse    bool
	keep     bool
	baseline string
	root     string
	prepare  bool
}

func main() {
	var cfg config
	flag.DurationVar(&cfg.d, "d", 10*time.Second, "duration of each measurement")
	flag.IntVar(&cfg.rounds, "rounds", 3, "rounds (old, new, pg_featureserv in turn in each); the median counts")
	flag.IntVar(&cfg.conns, "c", 8, "connections")
	flag.BoolVar(&cfg.reuse, "reuse", false, "reuse scratch_features_bench if loaded")
	flag.BoolVar(&cfg.keep, "keep", true, "keep the scratch database (for -reuse)")
	flag.StringVar(&cfg.baseline, "baseline", "", "git revision of the old build (default: main before the list speed-up landed)")
	flag.BoolVar(&cfg.prepare, "prepare", false, "only load scratch_features_bench (outside the bench lock), then exit")
	flag.Parse()
	log.SetFlags(log.Ltime)
	root, err := benchdata.Root()
	if err != nil {
		log.Fatal(err)
	}
	cfg.root = root
	if !wrk.Available() {
		log.Fatal("wrk is needed: apt-get install wrk (make bench-features installs it)")
	}
	if err := run(context.Background(), cfg); err != nil {
		log.Fatal(err)
	}
}

// a case is one kind of request, over the bounding boxes of a tile list
type benchCase struct {
	name  string
	zoom  int
	paths func(bbox string) string // riskmap's path for a bbox
	pgfs  func(bbox string) string // pg_featureserv's
}

var cases = []benchCase{
	{"OGC items, z14 bbox, limit 100", 14,
		func(b string) string { return "/ogc/collections/risk_points/items?limit=100&bbox=" + b },
		func(b string) string { return "/collections/public.risk_points/items.json?limit=100&bbox=" + b }},
	{"OGC items, z12 bbox, limit 1000", 12,
		func(b string) string { return "/ogc/collections/risk_points/items?limit=1000&bbox=" + b },
		func(b string) string { return "/collections/public.risk_points/items.json?limit=1000&bbox=" + b }},
	{"API list, z14 bbox, limit 100", 14,
		func(b string) string { return "/api/v1/risk_points?limit=100&bbox=" + b }, nil},
	{"API list, z12 bbox, limit 1000", 12,
		func(b string) string { return "/api/v1/risk_points?limit=1000&bbox=" + b }, nil},
}

type target struct {
	name    string
	base    string
	headers map[string]string
	cmd     *exec.Cmd
	riskmap bool
}

func run(ctx context.Context, cfg config) error {
	url, err := prepare(ctx, cfg)
	if err != nil || cfg.prepare {
		return err
	}
	tmp, err := os.MkdirTemp("", "riskmap-bench-features-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	rev := cfg.baseline
	if rev == "" {
		out, err := exec.Command("git", "-C", cfg.root, "log", "-1", "--format=%H", "--fixed-strings", "--grep", landing).Output()
		if err != nil || len(bytes.TrimSpace(out)) == 0 {
			return fmt.Errorf("no commit %q in this checkout's history: give -baseline REV", landing)
		}
		rev = strings.TrimSpace(string(out)) + "^2"
	}
	newBin, oldBin := filepath.Join(tmp, "riskmap-new"), filepath.Join(tmp, "riskmap-old")
	log.Printf("building riskmap (this checkout) and the old one (%s)", rev)
	if err := build(ctx, cfg.root, newBin); err != nil {
		return err
	}
	oldSrc := filepath.Join(tmp, "old")
	if err := os.MkdirAll(oldSrc, 0o755); err != nil {
		return err
	}
	archive := exec.CommandContext(ctx, "sh", "-c", `git -C "$1" archive "$2" | tar -x -C "$3"`, "sh", cfg.root, rev, oldSrc)
	if out, err := archive.CombinedOutput(); err != nil {
		return fmt.Errorf("git archive %s: %w\n%s", rev, err, out)
	}
	if err := build(ctx, oldSrc, oldBin); err != nil {
		return err
	}
	password, err := benchAccount(ctx, url)
	if err != nil {
		return err
	}
	var targets []*target
	for _, x := range []struct{ name, bin string }{{"old", oldBin}, {"new", newBin}} {
		t, err := startRiskmap(ctx, x.name, x.bin, url, tmp)
		if err != nil {
			return err
		}
		defer stop(t.cmd)
		tok, err := login.Token(t.base, benchUser, password)
		if err != nil {
			return err
		}
		t.headers = map[string]string{"Authorization": "Bearer " + tok}
		targets = append(targets, t)
	}
	if p, err := exec.LookPath("pg_featureserv"); err == nil {
		t, err := startFeatureserv(ctx, p, url, tmp)
		if err != nil {
			return err
		}
		defer stop(t.cmd)
		targets = append(targets, t)
	} else {
		log.Printf("pg_featureserv is not installed (not in Debian; its Go module is not on the module proxy): measured without it")
	}
	load0 := loadAvg()
	type cell struct{ rs []wrk.Result }
	results := map[string]map[string]*cell{}
	for _, bc := range cases {
		bboxes, err := tileBoxes(filepath.Join(cfg.root, "bench", "data", fmt.Sprintf("tiles_z%d.txt", bc.zoom)))
		if err != nil {
			return err
		}
		results[bc.name] = map[string]*cell{}
		for round := 0; round < cfg.rounds; round++ {
			for _, t := range targets {
				mk := bc.paths
				if !t.riskmap {
					mk = bc.pgfs
				}
				if mk == nil {
					continue
				}
				ps := make([]string, len(bboxes))
				for i, b := range bboxes {
					ps[i] = mk(b)
				}
				if round == 0 {
					if err := check(t, ps[0]); err != nil {
						return err
					}
				}
				r, err := wrk.Run(ctx, tmp, t.base, ps, t.headers, cfg.conns, cfg.d)
				if err != nil {
					return err
				}
				if r.Errors > 0 {
					return fmt.Errorf("%s, %s: %d failed requests", bc.name, t.name, r.Errors)
				}
				c := results[bc.name][t.name]
				if c == nil {
					c = &cell{}
					results[bc.name][t.name] = c
				}
				c.rs = append(c.rs, r)
				log.Printf("%s, %s: %.0f/s, p50 %s, %.1f KB an answer", bc.name, t.name, r.Rate, r.P50.Round(time.Millisecond/10), r.Bytes/1024)
			}
		}
	}
	fmt.Printf("\nfeature lists, %d rounds of %s, wrk -t2 -c%d, load average %s before, %s after\n\n", cfg.rounds, cfg.d, cfg.conns, load0, loadAvg())
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "request\told /s\tnew /s\tnew/old\tpg_featureserv /s\tnew/pg_featureserv\told p50\tnew p50\tKB old\tKB new\tKB pg_featureserv\t")
	for _, bc := range cases {
		med := func(name string) (wrk.Result, bool) {
			c := results[bc.name][name]
			if c == nil {
				return wrk.Result{}, false
			}
			return wrk.Median(c.rs), true
		}
		o, _ := med("old")
		n, _ := med("new")
		f, okF := med("pg_featureserv")
		fs, fratio, fkb := "-", "-", "-"
		if okF {
			fs, fratio, fkb = fmt.Sprintf("%.0f", f.Rate), fmt.Sprintf("%.2f×", n.Rate/f.Rate), fmt.Sprintf("%.1f", f.Bytes/1024)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.2f×\t%s\t%s\t%s\t%s\t%.1f\t%.1f\t%s\t\n", bc.name, o.Rate, n.Rate, n.Rate/o.Rate, fs, fratio,
			o.P50.Round(time.Millisecond/10), n.P50.Round(time.Millisecond/10), o.Bytes/1024, n.Bytes/1024, fkb)
	}
	return tw.Flush()
}

func prepare(ctx context.Context, cfg config) (string, error) {
	c := localdb.Config()
	if err := c.Start(ctx); err != nil {
		return "", err
	}
	adminURL, url := c.DatabaseURL("postgres"), c.DatabaseURL(scratchDB)
	if cfg.reuse && benchdata.Loaded(ctx, url) {
		log.Printf("reusing %s", scratchDB)
		return url, benchdata.Migrate(ctx, url)
	}
	log.Printf("loading the benchmark data set into %s", scratchDB)
	t0 := time.Now()
	if err := benchdata.Create(ctx, cfg.root, adminURL, url, scratchDB); err != nil {
		return "", err
	}
	log.Printf("loaded in %s", time.Since(t0).Round(time.Second))
	return url, nil
}

func build(ctx context.Context, dir, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/riskmap")
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build in %s: %w\n%s", dir, err, b)
	}
	return nil
}

// benchAccount makes the city user the requests come as.
func benchAccount(ctx context.Context, url string) (string, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return "", err
	}
	defer pool.Close()
	password := "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	_, err = auth.NewService(pool, time.Hour, auth.NewLimiter(100, time.Minute)).SaveUser(ctx, auth.UserSpec{
		Username: benchUser, Role: riskmap.RoleCity, Areas: []string{benchArea}, Password: password})
	return password, err
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func startRiskmap(ctx context.Context, name, bin, url, dir string) (*target, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "serve", "--addr", addr, "--blob-dir", filepath.Join(dir, "blobs"))
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url)
	t := &target{name: name, base: "http://" + addr, cmd: cmd, riskmap: true}
	return t, startAndWait(cmd, filepath.Join(dir, name+".log"), t.base+"/healthz")
}

// startFeatureserv serves the same database with pg_featureserv's
// defaults (its configuration by environment variables).
func startFeatureserv(ctx context.Context, bin, url, dir string) (*target, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url, "PGFS_SERVER_HTTPHOST=127.0.0.1", "PGFS_SERVER_HTTPPORT="+port,
		"PGFS_PAGING_LIMITDEFAULT=100", "PGFS_PAGING_LIMITMAX=10000")
	t := &target{name: "pg_featureserv", base: "http://" + addr, cmd: cmd}
	return t, startAndWait(cmd, filepath.Join(dir, "pg_featureserv.log"), t.base+"/collections.json")
}

func startAndWait(cmd *exec.Cmd, logPath, ready string) error {
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	for i := 0; i < 600; i++ {
		if res, err := http.Get(ready); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop(cmd)
	return fmt.Errorf("%s did not come up (log in %s)", cmd.Path, logPath)
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// check asks once and makes sure the answer is a FeatureCollection.
func check(t *target, path string) error {
	req, _ := http.NewRequest("GET", t.base+path, nil)
	for k, v := range t.headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var fc struct {
		Type     string
		Features []json.RawMessage
	}
	if res.StatusCode != 200 || json.Unmarshal(b, &fc) != nil || fc.Type != "FeatureCollection" || len(fc.Features) == 0 {
		return fmt.Errorf("%s %s: %s %.300s", t.name, path, res.Status, b)
	}
	return nil
}

// tileBoxes turns a list of z/x/y lines into lon/lat bounding boxes.
func tileBoxes(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Fields(string(data)) {
		var z, x, y int
		if _, err := fmt.Sscanf(line, "%d/%d/%d", &z, &x, &y); err != nil {
			return nil, fmt.Errorf("%s: %q: %w", path, line, err)
		}
		n := math.Exp2(float64(z))
		lon := func(x int) float64 { return float64(x)/n*360 - 180 }
		lat := func(y int) float64 { return math.Atan(math.Sinh(math.Pi*(1-2*float64(y)/n))) * 180 / math.Pi }
		out = append(out, fmt.Sprintf("%.7f,%.7f,%.7f,%.7f", lon(x), lat(y+1), lon(x+1), lat(y)))
	}
	return out, nil
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
