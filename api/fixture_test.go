package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/api"
	"riskmap/audit"
	"riskmap/auth"
	"riskmap/blobs"
	"riskmap/cases"
	"riskmap/coverage"
	"riskmap/features"
	"riskmap/importers"
	"riskmap/inspections"
	"riskmap/internal/dbtest"
	"riskmap/notify"
	"riskmap/patrols"
	"riskmap/printing"
	"riskmap/proposals"
	"riskmap/stock"
	"riskmap/tiles"
)

type env struct {
	t      *testing.T
	routes gin.RoutesInfo // every route the server serves
	pool   *pgxpool.Pool
	srv    *httptest.Server
	// handler is what srv serves, for a test that serves it otherwise
	handler http.Handler
	token   map[string]string
	// coverage is the server's coverage service (not listening: a test
	// that wants it live starts its Listen)
	coverage *coverage.Service
	// clock is the patrols' and tiles' clock: the real time until a test
	// sets it
	clock *testClock
	// blobDir holds the photos and attachments
	blobDir string
	// patrols is the server's patrol store (not listening: a test that
	// wants its due lists kept starts its Listen)
	patrols *patrols.Store
}

// testClock is a clock a test can fix.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Now()
	}
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	pool := dbtest.TinyCity(t)
	svc := auth.NewService(pool, time.Hour, auth.NewLimiter(50, 15*time.Minute))
	users := []auth.UserSpec{
		{Username: "admin", Role: "admin", Password: "admin-pass-1"},
		{Username: "xingang", Role: "township", Areas: []string{"441502001000"}, Password: "xingang-pass-1"},
		{Username: "worker1", Role: "worker", Grids: []string{"441502001001001"}, Password: "worker1-pass-1"},
		{Username: "city", Role: "city", Areas: []string{"441500000000"}, Password: "city-pass-1"},
		{Username: "chengqu", Role: "county", Areas: []string{"441502000000"}, Password: "chengqu-pass-1"},
		{Username: "planner", Role: "planner", Areas: []string{"441502000000"}, Password: "planner-pass-1"},
	}
	for _, u := range users {
		if _, err := svc.SaveUser(ctx, u); err != nil {
			t.Fatalf("user %s: %v", u.Username, err)
		}
	}
	s := &api.Server{
		Features: features.NewStore(pool),
		Auth:     svc,
		Audit:    audit.NewLog(pool),
		DB:       pool,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		MaxBody:  64 << 10,
		Imports:  importers.NewJobs(pool, nil),
		Coverage: coverage.NewService(pool, coverage.Config{}),
	}
	blobDir := t.TempDir()
	blobStore, err := blobs.NewDir(blobDir)
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{}
	s.Cases = cases.NewStore(pool, blobStore, cases.Config{})
	s.Patrols = patrols.NewStore(pool, blobStore, s.Cases, patrols.Config{Now: clock.Now})
	s.Inspections = inspections.NewStore(pool, s.Cases, s.Patrols, inspections.Config{Now: clock.Now})
	s.CaseFeed = cases.NewFeed(pool, s.Logger)
	s.Notify = notify.New(pool, s.Cases, notify.Config{Logger: s.Logger, AllowPrivate: true})
	feedCtx, stopFeed := context.WithCancel(context.Background())
	t.Cleanup(stopFeed)
	go func() { _ = s.CaseFeed.Run(feedCtx) }()
	s.Tiles = tiles.NewService(pool, tiles.Options{CacheBytes: 1 << 20, Logger: s.Logger, Now: clock.Now})
	s.Stock = stock.NewStore(pool, s.Features.Layers["depots"], stock.Config{})
	s.Proposals = proposals.NewStore(pool, s.Features, blobStore, 0)
	s.Proposals.NotifyWith(s.Notify)
	s.Patrols.NotifyWith(s.Notify)
	s.Printer = printing.New(pool, s.Features.Layers, nil)
	h := s.Handler()
	e := &env{t: t, pool: pool, routes: s.Routes(), handler: h, srv: httptest.NewServer(h), token: map[string]string{}, coverage: s.Coverage,
		clock: clock, blobDir: blobDir, patrols: s.Patrols}
	t.Cleanup(e.srv.Close)
	for _, u := range users {
		var out struct{ Token string }
		res := e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": u.Username, "password": u.Password}, &out)
		if res.StatusCode != 200 || out.Token == "" {
			t.Fatalf("login %s: %d", u.Username, res.StatusCode)
		}
		e.token[u.Username] = out.Token
	}
	return e
}

type response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// doToken sends a raw body with an explicit bearer token ("" for none).
func (e *env) doToken(method, path, token, body string, headers ...string) response {
	e.t.Helper()
	if token != "" {
		headers = append(headers, "Authorization", "Bearer "+token)
	}
	return e.do(method, path, "", body, nil, headers...)
}

// do sends body (a string is sent raw, anything else as JSON) as user (""
// for no token) and decodes the reply into out when out is non-nil.
func (e *env) do(method, path, user string, body any, out any, headers ...string) response {
	e.t.Helper()
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
	req, _ := http.NewRequest(method, e.srv.URL+path, r)
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+e.token[user])
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	if strings.HasPrefix(path, "/api/v1/events") && res.StatusCode == http.StatusOK {
		// a live feed never ends: the status is the answer
		return response{StatusCode: res.StatusCode, Header: res.Header}
	}
	data, _ := io.ReadAll(res.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
	return response{StatusCode: res.StatusCode, Header: res.Header, Body: data}
}

// snapshot fingerprints every layer table so a test can show a refused
// request changed nothing.
func (e *env) snapshot() string {
	e.t.Helper()
	var out strings.Builder
	for _, tbl := range []string{"areas", "grids", "risk_points", "hazard_sources", "stations", "depots", "depot_items"} {
		var s string
		err := e.pool.QueryRow(context.Background(), "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM "+tbl+" t").Scan(&s)
		if err != nil {
			e.t.Fatalf("snapshot %s: %v", tbl, err)
		}
		out.WriteString(tbl + "=" + s + ";")
	}
	return out.String()
}

func pointFeature(lon, lat float64, props map[string]any) map[string]any {
	return map[string]any{"type": "Feature", "geometry": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}, "properties": props}
}

func riskProps() map[string]any {
	return map[string]any{"name": "测试风险点", "category": "flood", "risk_level": 2}
}

// checkedRow is a row whose Scan fails the test on a query error, so that
// a zero left in a destination never passes for an answer.
type checkedRow struct {
	t   testing.TB
	row pgx.Row
	sql string
}

func (r checkedRow) Scan(dest ...any) {
	r.t.Helper()
	if err := r.row.Scan(dest...); err != nil {
		r.t.Fatalf("%s: %v", r.sql, err)
	}
}

// queryRow is pool.QueryRow with the test failing on a query error.
func queryRow(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) checkedRow {
	return checkedRow{t: t, row: pool.QueryRow(context.Background(), sql, args...), sql: sql}
}
