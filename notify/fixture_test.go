package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/blobs"
	"riskmap/cases"
	"riskmap/geo"
	"riskmap/internal/dbtest"
	"riskmap/notify"
)

// Places of the fixture, inside each grid.
var (
	g001      = [2]float64{115.25, 23.0}
	g002      = [2]float64{115.75, 23.0}
	xiangzhou = [2]float64{116.25, 23.0}
	meilong   = [2]float64{116.75, 23.0}
)

type fixtureUser struct {
	name, role   string
	areas, grids []string
	disabled     bool
}

var fixtureUsers = []fixtureUser{
	{name: "admin", role: "admin"},
	{name: "city", role: "city", areas: []string{"441500000000"}},
	{name: "chengqu", role: "county", areas: []string{"441502000000"}},
	{name: "haifeng", role: "county", areas: []string{"441521000000"}},
	{name: "xingang", role: "township", areas: []string{"441502001000"}},
	{name: "xingang2", role: "township", areas: []string{"441502001000"}},
	{name: "xingang_off", role: "township", areas: []string{"441502001000"}, disabled: true},
	{name: "xiangzhou", role: "township", areas: []string{"441502002000"}},
	{name: "meilong", role: "township", areas: []string{"441521101000"}},
	{name: "worker1", role: "worker", grids: []string{"441502001001001"}},
	{name: "worker2", role: "worker", grids: []string{"441502001001002"}},
	{name: "worker3", role: "worker", grids: []string{"441502002001001"}},
	{name: "planner", role: "planner", areas: []string{"441500000000"}},
}

// clock is the fixed clock of the tests: it moves only when set.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

type fixture struct {
	t     *testing.T
	ctx   context.Context
	pool  *pgxpool.Pool
	cases *cases.Store
	svc   *notify.Service
	clock *clock
	users map[string]*riskmap.User
	names map[int64]string
}

// newFixture makes the city, its users, a case store and the notification
// service on a fixed clock; cfg's zero values take the defaults.
func newFixture(t *testing.T, cfg notify.Config) *fixture {
	t.Helper()
	ctx := context.Background()
	pool := dbtest.TinyCity(t)
	f := &fixture{t: t, ctx: ctx, pool: pool, users: map[string]*riskmap.User{}, names: map[int64]string{}}
	for _, u := range fixtureUsers {
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO users (username, display_name, role, password_hash, disabled) VALUES ($1, $1, $2, 'x', $3) RETURNING id`,
			u.name, u.role, u.disabled).Scan(&id); err != nil {
			t.Fatalf("user %s: %v", u.name, err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO user_areas (user_id, area_code) SELECT $1, unnest($2::text[])`, id, u.areas); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO user_grids (user_id, grid_code) SELECT $1, unnest($2::text[])`, id, u.grids); err != nil {
			t.Fatal(err)
		}
		f.users[u.name] = &riskmap.User{ID: id, Username: u.name, DisplayName: u.name, Role: u.role, Areas: u.areas, Grids: u.grids}
		f.names[id] = u.name
	}
	b, err := blobs.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f.cases = cases.NewStore(pool, b, cases.Config{})
	f.clock = &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, cases.Shanghai())}
	cfg.Now = f.clock.Now
	if cfg.PublicURL == "" {
		cfg.PublicURL = "https://riskmap.example.cn"
	}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.AllowPrivate = true // the test robots listen on 127.0.0.1
	f.svc = notify.New(pool, f.cases, cfg)
	return f
}

// report makes a case at p as user; grade general unless given.
func (f *fixture) report(user string, p [2]float64, grade string) string {
	f.t.Helper()
	if grade == "" {
		grade = "general"
	}
	body := fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[%v,%v]},
		"properties":{"grade":%q,"category":"flood","description":"排水沟堵塞，雨天积水"}}`, p[0], p[1], grade)
	in, err := cases.ParseReport([]byte(body), geo.CRSWGS84, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	r, err := f.cases.Report(f.ctx, f.users[user], in)
	if err != nil {
		f.t.Fatalf("report as %s: %v", user, err)
	}
	return r.ID
}

// act takes an action on a case as user at its current version; fields
// are the action's other fields.
func (f *fixture) act(user, id, action string, fields map[string]any) {
	f.t.Helper()
	if err := f.try(user, id, action, fields); err != nil {
		f.t.Fatalf("%s %s as %s: %v", action, id, user, err)
	}
}

func (f *fixture) try(user, id, action string, fields map[string]any) error {
	var v int
	if err := f.pool.QueryRow(f.ctx, "SELECT version FROM cases WHERE id = $1", id).Scan(&v); err != nil {
		f.t.Fatal(err)
	}
	body := map[string]any{"action": action, "version": v}
	for k, x := range fields {
		body[k] = x
	}
	b, _ := json.Marshal(body)
	a, err := cases.ParseAction(b, geo.CRSWGS84, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	_, err = f.cases.Act(f.ctx, f.users[user], id, a)
	return err
}

// photo attaches a small PNG to the case as user and returns its id.
func (f *fixture) photo(user, id string) string {
	f.t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{200, 60, 40, 255})
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	a, err := f.cases.Attach(f.ctx, f.users[user], id, "fixed.png", &buf)
	if err != nil {
		f.t.Fatalf("attach: %v", err)
	}
	return a.ID
}

// told returns who has a notification of kind about the case (sorted
// names), and fails on anyone told twice.
func (f *fixture) told(kind, caseID string) []string {
	f.t.Helper()
	rows, err := f.pool.Query(f.ctx, `SELECT user_id, count(*) FROM notifications WHERE kind = $1 AND case_id = $2 GROUP BY 1`, kind, caseID)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			f.t.Fatal(err)
		}
		if n != 1 {
			f.t.Errorf("%s was told %d times of %s on %s", f.names[id], n, kind, caseID)
		}
		out = append(out, f.names[id])
	}
	sort.Strings(out)
	return out
}

func (f *fixture) run(at time.Time) notify.RunReport {
	f.t.Helper()
	f.clock.Set(at)
	rep, err := f.svc.RunOnce(f.ctx, at)
	if err != nil {
		f.t.Fatalf("job at %s: %v", at, err)
	}
	return rep
}

func names(s ...string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	if out == nil {
		out = []string{}
	}
	return out
}
