package resilience

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/auth"
	"riskmap/bench/load/workload"
	"riskmap/internal/dbtest"
	"riskmap/localdb"
	"riskmap/postgres"
)

// riskmapBin is the binary under test, built once by TestMain.
var riskmapBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "riskmap-resilience-bin-")
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	riskmapBin, err = workload.Build(ctx, dir)
	cancel()
	if err != nil {
		os.RemoveAll(dir)
		log.Fatal(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fixtureSQL is a small city: two counties, four townships (one village
// each) of four grids each (2 × 2, numbered west→east, north→south), over
// lon 115.0–116.0, lat 22.5–23.5, and 400 risk points placed by the
// trigger.
func fixtureSQL() string {
	var b strings.Builder
	b.WriteString(`INSERT INTO areas (code, name, level, parent_code, geom) VALUES
 ('441500000000', '汕尾市', 'city', NULL, ST_Multi(ST_MakeEnvelope(115.0, 22.5, 116.0, 23.5, 4326))),
 ('441502000000', '城区', 'county', '441500000000', ST_Multi(ST_MakeEnvelope(115.0, 22.5, 115.5, 23.5, 4326))),
 ('441521000000', '海丰县', 'county', '441500000000', ST_Multi(ST_MakeEnvelope(115.5, 22.5, 116.0, 23.5, 4326)));
`)
	towns := []string{"441502001000", "441502002000", "441521101000", "441521102000"}
	for i, town := range towns {
		w := 115.0 + 0.25*float64(i)
		e := w + 0.25
		county := town[:6] + "000000"
		village := town[:9] + "001"
		fmt.Fprintf(&b, `INSERT INTO areas (code, name, level, parent_code, geom) VALUES
 ('%s', '镇街%d', 'township', '%s', ST_Multi(ST_MakeEnvelope(%g, 22.5, %g, 23.5, 4326))),
 ('%s', '村居%d', 'village', '%s', ST_Multi(ST_MakeEnvelope(%g, 22.5, %g, 23.5, 4326)));
`, town, i+1, county, w, e, village, i+1, town, w, e)
		n := 0
		for _, lat := range [][2]float64{{23.0, 23.5}, {22.5, 23.0}} {
			for _, lon := range [][2]float64{{w, w + 0.125}, {w + 0.125, e}} {
				n++
				fmt.Fprintf(&b, `INSERT INTO grids (code, name, worker, households, population, geom) VALUES
 ('%s%03d', '第%d网格', '网格员%d%d', 100, 400, ST_Multi(ST_MakeEnvelope(%g, %g, %g, %g, 4326)));
`, village, n, n, i+1, n, lon[0], lat[0], lon[1], lat[1])
			}
		}
	}
	b.WriteString(`INSERT INTO risk_points (name, category, risk_level, geom)
SELECT '风险点' || i, (ARRAY['geological','flood','reservoir','coastal','fire'])[1 + i % 5], 1 + i % 4,
       ST_SetSRID(ST_MakePoint(115.01 + (i * 0.6180339887 % 1) * 0.98, 22.51 + (i * 0.7548776662 % 1) * 0.98), 4326)
  FROM generate_series(1, 400) i;
`)
	return b.String()
}

// scratchDB is a fresh database on the shared test server with the
// fixture city; it is dropped when the test ends.
func scratchDB(t *testing.T) (string, *pgxpool.Pool) {
	t.Helper()
	url := dbtest.Clone(t, dbtest.Empty)
	pool := openPool(t, url)
	if _, err := pool.Exec(context.Background(), fixtureSQL()); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return url, pool
}

func openPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := postgres.Open(context.Background(), url, 4)
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// privateCluster starts a PostgreSQL cluster of the test's own, migrated,
// with the fixture city, and removes it when the test ends. It lives under
// os.TempDir (as root the server runs as postgres, which cannot enter
// t.TempDir) on a free port: stopping it disturbs nobody.
func privateCluster(t *testing.T) *localdb.Cluster {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	base := filepath.Join(os.TempDir(), "riskmap-resilience-"+hex.EncodeToString(b))
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	addr, err := workload.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(addr[strings.LastIndex(addr, ":")+1:])
	c := &localdb.Cluster{Dir: filepath.Join(base, "pg"), Port: port, Database: "riskmap", Role: "riskmap"}
	t.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			t.Logf("stop private cluster: %v", err)
		}
		os.RemoveAll(base)
	})
	if err := c.Start(ctx); err != nil {
		t.Fatalf("private cluster: %v", err)
	}
	if err := postgres.Migrate(ctx, c.URL()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	pool, err := postgres.Open(ctx, c.URL(), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, fixtureSQL()); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return c
}

// startServer runs the binary against url with args; it is stopped
// (SIGTERM, then SIGKILL) when the test ends. The attachment store is a
// directory of the test's unless args name one.
func startServer(t *testing.T, url string, args ...string) *workload.Server {
	t.Helper()
	dir := t.TempDir()
	if !strings.Contains(strings.Join(args, " "), "--blob-dir") {
		args = append(args, "--blob-dir", filepath.Join(dir, "blobs"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := workload.Start(ctx, riskmapBin, url, filepath.Join(dir, "serve.log"), args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if srv.Running() {
			if err := srv.Stop(20 * time.Second); err != nil {
				t.Logf("riskmap serve: %v", err)
			}
		}
		if t.Failed() {
			t.Logf("server log (end):\n%s", srv.Tail())
		}
	})
	return srv
}

// user creates an account and logs it in through srv; it returns the
// token and the user's id.
func user(t *testing.T, pool *pgxpool.Pool, base string, spec auth.UserSpec) (string, int64) {
	t.Helper()
	spec.Password = "resilience-" + spec.Username + "-1"
	u, err := auth.NewService(pool, time.Hour, auth.NewLimiter(100, time.Minute)).SaveUser(context.Background(), spec)
	if err != nil {
		t.Fatalf("user %s: %v", spec.Username, err)
	}
	status, body := call(t, base, "POST", "/api/v1/auth/login", "", map[string]string{"username": spec.Username, "password": spec.Password})
	var out struct{ Token string }
	if status != 200 || json.Unmarshal(body, &out) != nil || out.Token == "" {
		t.Fatalf("login %s: %d %s", spec.Username, status, body)
	}
	return out.Token, u.ID
}

// call sends one request (body: nil, a string sent raw, or JSON) and
// returns the status and body.
func call(t *testing.T, base, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, base+path, r)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, data
}
