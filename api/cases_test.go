package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/api"
	"riskmap/audit"
	"riskmap/auth"
	"riskmap/blobs"
	"riskmap/cases"
	"riskmap/features"
	"riskmap/geo"
	"riskmap/internal/dbtest"
	"riskmap/notify"
)

// The case tests' users in dbtest.TinyCity: one per role and a few more, so
// that "another user of the same office" and "another township" exist.
var caseUsers = []auth.UserSpec{
	{Username: "admin", Role: "admin", Password: "admin-pass-1"},
	{Username: "city", Role: "city", Areas: []string{"441500000000"}, Password: "city-pass-1"},
	{Username: "chengqu", Role: "county", Areas: []string{"441502000000"}, Password: "chengqu-pass-1"},
	{Username: "chengqu2", Role: "county", Areas: []string{"441502000000"}, Password: "chengqu2-pass-1"},
	{Username: "haifeng", Role: "county", Areas: []string{"441521000000"}, Password: "haifeng-pass-1"},
	{Username: "xingang", Role: "township", Areas: []string{"441502001000"}, Password: "xingang-pass-1"},
	{Username: "xingang2", Role: "township", Areas: []string{"441502001000"}, Password: "xingang2-pass-1"},
	{Username: "xiangzhou", Role: "township", Areas: []string{"441502002000"}, Password: "xiangzhou-pass-1"},
	{Username: "worker1", Role: "worker", Grids: []string{"441502001001001"}, Password: "worker1-pass-1"},
	{Username: "worker2", Role: "worker", Grids: []string{"441502001001002"}, Password: "worker2-pass-1"},
	{Username: "worker3", Role: "worker", Grids: []string{"441502002001001"}, Password: "worker3-pass-1"},
	{Username: "planner", Role: "planner", Areas: []string{"441500000000"}, Password: "planner-pass-1"},
}

type caseEnv struct {
	*env
	ids   map[string]int64
	cases *cases.Store
	blobs string
}

// newCaseServer builds an API server with the case routes over pool; the
// feed runs until the test ends.
func newCaseServer(t *testing.T, pool *pgxpool.Pool, store blobs.Store, cfg cases.Config) (*api.Server, *httptest.Server) {
	t.Helper()
	svc := auth.NewService(pool, time.Hour, auth.NewLimiter(1000, time.Minute))
	s := &api.Server{
		Features:  features.NewStore(pool),
		Auth:      svc,
		Audit:     audit.NewLog(pool),
		DB:        pool,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		MaxBody:   64 << 10,
		Cases:     cases.NewStore(pool, store, cfg),
		CaseFeed:  cases.NewFeed(pool, slog.New(slog.NewTextHandler(io.Discard, nil))),
		Heartbeat: 200 * time.Millisecond,
	}
	s.Notify = notify.New(pool, s.Cases, notify.Config{Logger: s.Logger, PublicURL: "https://riskmap.example.cn", AllowPrivate: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.CaseFeed.Run(ctx); close(done) }()
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() { cancel(); <-done; srv.Close() })
	select {
	case <-s.CaseFeed.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("case feed did not start listening")
	}
	return s, srv
}

func newCaseEnv(t *testing.T) *caseEnv {
	return newCaseEnvWith(t, nil, cases.Config{})
}

func newCaseEnvWith(t *testing.T, store blobs.Store, cfg cases.Config) *caseEnv {
	t.Helper()
	ctx := context.Background()
	pool := dbtest.TinyCity(t)
	dir := t.TempDir()
	if store == nil {
		d, err := blobs.NewDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		store = d
	}
	// Accounts and sessions are written straight to the tables: password
	// hashing (argon2id) would cost seconds per test.
	ids := map[string]int64{}
	tokens := map[string]string{}
	for _, u := range caseUsers {
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO users (username, display_name, role, password_hash) VALUES ($1, $1, $2, 'x') RETURNING id`,
			u.Username, u.Role).Scan(&id); err != nil {
			t.Fatalf("user %s: %v", u.Username, err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO user_areas (user_id, area_code) SELECT $1, unnest($2::text[])`, id, u.Areas); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO user_grids (user_id, grid_code) SELECT $1, unnest($2::text[])`, id, u.Grids); err != nil {
			t.Fatal(err)
		}
		tok := "rm_test_" + u.Username
		sum := sha256.Sum256([]byte(tok))
		if _, err := pool.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, now() + interval '1 hour')`, sum[:], id); err != nil {
			t.Fatal(err)
		}
		ids[u.Username] = id
		tokens[u.Username] = tok
	}
	s, srv := newCaseServer(t, pool, store, cfg)
	e := &caseEnv{env: &env{t: t, pool: pool, srv: srv, token: tokens}, ids: ids, cases: s.Cases, blobs: dir}
	return e
}

type caseDoc struct {
	ID         string         `json:"id"`
	Properties map[string]any `json:"properties"`
	Events     []struct {
		Action      string   `json:"action"`
		FromState   *string  `json:"from_state"`
		ToState     string   `json:"to_state"`
		Actor       int64    `json:"actor"`
		Role        string   `json:"role"`
		Note        *string  `json:"note"`
		Reason      *string  `json:"reason"`
		Attachments []string `json:"attachments"`
		Version     int      `json:"version"`
		Location    any      `json:"location"`
	} `json:"events"`
	Attachments []map[string]any `json:"attachments"`
}

func (d caseDoc) version() int  { return int(d.Properties["version"].(float64)) }
func (d caseDoc) state() string { return d.Properties["state"].(string) }

type errBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Field string `json:"field"`
		} `json:"details"`
	} `json:"error"`
}

func report(lon, lat float64, props map[string]any) map[string]any {
	p := map[string]any{"grade": "general", "category": "flood", "description": "排水沟堵塞"}
	for k, v := range props {
		p[k] = v
	}
	return map[string]any{"type": "Feature", "geometry": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}, "properties": p}
}

// newCase reports a case as user and returns it.
func (e *caseEnv) newCase(user string, lon, lat float64, props map[string]any) caseDoc {
	e.t.Helper()
	var d caseDoc
	res := e.do("POST", "/api/v1/cases", user, report(lon, lat, props), &d)
	if res.StatusCode != http.StatusCreated {
		e.t.Fatalf("report as %s: %d %s", user, res.StatusCode, res.Body)
	}
	return d
}

// act posts an action and returns the reply.
func (e *caseEnv) act(user, id string, body map[string]any) (response, caseDoc) {
	e.t.Helper()
	var d caseDoc
	res := e.do("POST", "/api/v1/cases/"+id+"/actions", user, body, nil)
	if res.StatusCode == 200 {
		if err := json.Unmarshal(res.Body, &d); err != nil {
			e.t.Fatalf("decode: %v", err)
		}
	}
	return res, d
}

// mustAct posts an action that must succeed.
func (e *caseEnv) mustAct(user, id string, body map[string]any) caseDoc {
	e.t.Helper()
	res, d := e.act(user, id, body)
	if res.StatusCode != 200 {
		e.t.Fatalf("%s by %s: %d %s", body["action"], user, res.StatusCode, res.Body)
	}
	return d
}

func (e *caseEnv) get(user, id string) caseDoc {
	e.t.Helper()
	var d caseDoc
	if res := e.do("GET", "/api/v1/cases/"+id, user, nil, &d); res.StatusCode != 200 {
		e.t.Fatalf("get %s as %s: %d %s", id, user, res.StatusCode, res.Body)
	}
	return d
}

func pngBytes(t testing.TB, seed uint8) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{seed, 2, 3, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload sends data as the multipart field file.
func (e *caseEnv) upload(user, id, name string, data []byte) (response, map[string]any) {
	e.t.Helper()
	return e.uploadOnce(user, id, "", name, data)
}

// uploadOnce is upload with a client id ahead of the file ("": none).
func (e *caseEnv) uploadOnce(user, id, clientID, name string, data []byte) (response, map[string]any) {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if clientID != "" {
		_ = mw.WriteField("client_id", clientID)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	var out map[string]any
	res := e.do("POST", "/api/v1/cases/"+id+"/attachments", user, body.Bytes(), nil, "Content-Type", mw.FormDataContentType())
	if res.StatusCode == 201 {
		_ = json.Unmarshal(res.Body, &out)
	}
	return res, out
}

func (e *caseEnv) photo(user, id string) string {
	e.t.Helper()
	res, out := e.upload(user, id, "photo.png", pngBytes(e.t, 1))
	if res.StatusCode != 201 {
		e.t.Fatalf("upload: %d %s", res.StatusCode, res.Body)
	}
	return out["id"].(string)
}

func future(days int) string {
	return time.Now().Add(time.Duration(days) * 24 * time.Hour).Format(time.RFC3339)
}

func TestTheClosedLoopFromReportToCloseKeepsEveryEvent(t *testing.T) {
	e := newCaseEnv(t)
	c := e.newCase("worker1", 115.2, 23.0, map[string]any{"device_time": "2026-01-02T08:00:00+08:00"})
	if c.state() != "reported" || c.version() != 1 || c.Properties["grid_code"] != "441502001001001" ||
		c.Properties["township_code"] != "441502001000" || c.Properties["county_code"] != "441502000000" {
		t.Fatalf("reported case: %+v", c.Properties)
	}
	if c.Properties["device_time"] != "2026-01-02T08:00:00+08:00" || c.Properties["reported_at"] == nil {
		t.Errorf("device and server time: %v %v", c.Properties["device_time"], c.Properties["reported_at"])
	}
	d := e.mustAct("xingang", c.ID, map[string]any{"action": "register", "version": 1})
	d = e.mustAct("xingang", c.ID, map[string]any{"action": "assign", "version": d.version(), "assignee": e.ids["worker1"], "deadline": future(7), "note": "尽快清理"})
	if d.Properties["assignee"] != float64(e.ids["worker1"]) || d.Properties["deadline"] == nil {
		t.Fatalf("assigned: %+v", d.Properties)
	}
	d = e.mustAct("worker1", c.ID, map[string]any{"action": "start", "version": d.version(),
		"location": map[string]any{"type": "Point", "coordinates": []float64{115.2001, 23.0001}}})
	photo := e.photo("worker1", c.ID)
	d = e.mustAct("worker1", c.ID, map[string]any{"action": "submit", "version": d.version(), "attachments": []string{photo}, "note": "已清理"})
	if d.Properties["submitted_by"] != float64(e.ids["worker1"]) {
		t.Errorf("submitted_by = %v", d.Properties["submitted_by"])
	}
	d = e.mustAct("xingang2", c.ID, map[string]any{"action": "approve", "version": d.version(), "note": "现场核查通过"})
	if d.state() != "closed" || d.Properties["closed_at"] == nil || d.version() != 6 {
		t.Fatalf("closed: %+v", d.Properties)
	}
	got := e.get("worker1", c.ID)
	want := []struct{ action, from, to string }{{"report", "", "reported"}, {"register", "reported", "registered"},
		{"assign", "registered", "assigned"}, {"start", "assigned", "rectifying"}, {"submit", "rectifying", "submitted"},
		{"approve", "submitted", "closed"}}
	if len(got.Events) != len(want) {
		t.Fatalf("events: %+v", got.Events)
	}
	for i, w := range want {
		ev := got.Events[i]
		from := ""
		if ev.FromState != nil {
			from = *ev.FromState
		}
		if ev.Action != w.action || from != w.from || ev.ToState != w.to || ev.Version != i+1 {
			t.Errorf("event %d = %s %s→%s v%d, want %s %s→%s", i, ev.Action, from, ev.ToState, ev.Version, w.action, w.from, w.to)
		}
	}
	if ev := got.Events[3]; ev.Location == nil || ev.Role != "worker" || ev.Actor != e.ids["worker1"] {
		t.Errorf("start event keeps the actor's location and role: %+v", ev)
	}
	if ev := got.Events[4]; len(ev.Attachments) != 1 || ev.Attachments[0] != photo {
		t.Errorf("submit event attachments: %v", ev.Attachments)
	}
	if ev := got.Events[5]; ev.Note == nil || *ev.Note != "现场核查通过" || ev.Actor != e.ids["xingang2"] {
		t.Errorf("approve event: %+v", ev)
	}
	if len(got.Attachments) != 1 || got.Attachments[0]["url"] != "/api/v1/attachments/"+photo {
		t.Errorf("attachments: %v", got.Attachments)
	}
}

func TestCaseEventsAreNeverUpdatedOrDeleted(t *testing.T) {
	e := newCaseEnv(t)
	c := e.newCase("worker1", 115.2, 23.0, nil)
	for _, sql := range []string{
		"UPDATE case_events SET note = 'x' WHERE case_id = $1",
		"DELETE FROM case_events WHERE case_id = $1",
	} {
		_, err := e.pool.Exec(context.Background(), sql, c.ID)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want append-only refusal", sql, err)
		}
	}
	if _, err := e.pool.Exec(context.Background(), "TRUNCATE case_events CASCADE"); err == nil {
		t.Error("TRUNCATE case_events succeeded")
	}
}

func TestTheSameClientIDSentConcurrentlyMakesOneCaseAndIdenticalReplies(t *testing.T) {
	e := newCaseEnv(t)
	id := "0b6f1c52-8a3e-4d0e-9b7a-2f5e1c9d4a10"
	body := report(115.2, 23.0, map[string]any{"device_time": "2026-03-01T10:00:00+08:00"})
	body["id"] = id
	raw, _ := json.Marshal(body)
	const n = 100
	results := e.sendAtOnce(n, "/api/v1/cases", "worker1", raw)
	for i, r := range results {
		if r.status != 201 || r.body != results[0].body {
			t.Fatalf("reply %d: %d %s\nfirst: %d %s", i, r.status, r.body, results[0].status, results[0].body)
		}
	}
	var count, events int
	queryRow(t, e.pool, "SELECT count(*), (SELECT count(*) FROM case_events) FROM cases").Scan(&count, &events)
	if count != 1 || events != 1 {
		t.Errorf("cases = %d, events = %d, want 1 and 1", count, events)
	}
	if !strings.Contains(results[0].body, id) {
		t.Errorf("reply does not carry the client id: %s", results[0].body)
	}
	// later, after the case moved on, a resend still gets the first reply
	e.mustAct("xingang", id, map[string]any{"action": "register", "version": 1})
	res := e.do("POST", "/api/v1/cases", "worker1", raw, nil)
	if res.StatusCode != 201 || string(res.Body) != results[0].body {
		t.Errorf("late resend: %d %s", res.StatusCode, res.Body)
	}
	// the same id with different content, or from someone else, is a conflict
	other := report(115.2, 23.0, map[string]any{"description": "另一处隐患"})
	other["id"] = id
	var er errBody
	if res := e.do("POST", "/api/v1/cases", "worker1", other, &er); res.StatusCode != 409 || !strings.Contains(er.Error.Message, id) {
		t.Errorf("same id, other content: %d %s", res.StatusCode, res.Body)
	}
	if res := e.do("POST", "/api/v1/cases", "xingang", raw, nil); res.StatusCode != 409 {
		t.Errorf("same id, other user: %d %s", res.StatusCode, res.Body)
	}
}

func TestReportingChecksWhereAndWhatAndWho(t *testing.T) {
	e := newCaseEnv(t)
	cases := []struct {
		name   string
		user   string
		body   any
		query  string
		status int
		want   []string
	}{
		{"worker outside own grids", "worker1", report(115.7, 23.0, nil), "", 403, []string{"441502001001002"}},
		{"township outside its area", "xingang", report(116.2, 23.0, nil), "", 403, []string{"outside your area"}},
		{"planner may not report", "planner", report(115.2, 23.0, nil), "", 403, []string{"planner"}},
		{"admin may not report", "admin", report(115.2, 23.0, nil), "", 403, []string{"admin"}},
		{"a point in no grid", "city", report(117.2, 23.0, nil), "", 422, []string{"117.2"}},
		{"far outside the city", "city", report(113.26, 23.13, nil), "", 422, []string{"113.26"}},
		{"unknown grade", "worker1", report(115.2, 23.0, map[string]any{"grade": "huge"}), "", 422, []string{"properties.grade", "huge"}},
		{"unknown category", "worker1", report(115.2, 23.0, map[string]any{"category": "volcano"}), "", 422, []string{"category", "volcano"}},
		{"empty description", "worker1", report(115.2, 23.0, map[string]any{"description": " "}), "", 422, []string{"description"}},
		{"unknown property", "worker1", report(115.2, 23.0, map[string]any{"colour": "red"}), "", 422, []string{"colour"}},
		{"bad device time", "worker1", report(115.2, 23.0, map[string]any{"device_time": "yesterday"}), "", 422, []string{"device_time"}},
		{"id that is not a UUID", "worker1", map[string]any{"type": "Feature", "id": 7, "geometry": map[string]any{"type": "Point", "coordinates": []float64{115.2, 23}}, "properties": map[string]any{"grade": "general", "category": "flood", "description": "x"}}, "", 422, []string{"id"}},
		{"missing geometry", "worker1", map[string]any{"type": "Feature", "properties": map[string]any{"grade": "general", "category": "flood", "description": "x"}}, "", 422, []string{"geometry"}},
		{"polygon geometry", "worker1", map[string]any{"type": "Feature", "geometry": map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{115.1, 22.6}, {115.2, 22.6}, {115.2, 22.7}, {115.1, 22.6}}}}, "properties": map[string]any{"grade": "general", "category": "flood", "description": "x"}}, "", 422, []string{"Polygon"}},
		{"unknown risk point", "worker1", report(115.2, 23.0, map[string]any{"risk_point_id": 999}), "", 422, []string{"risk_point_id", "999"}},
		{"unknown crs", "worker1", report(115.2, 23.0, nil), "?crs=mars", 400, []string{"crs"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var er errBody
			res := e.do("POST", "/api/v1/cases"+c.query, c.user, c.body, &er)
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, c.status, res.Body)
			}
			for _, w := range c.want {
				if !strings.Contains(er.Error.Message, w) {
					t.Errorf("message %q does not name %q", er.Error.Message, w)
				}
			}
		})
	}
	var n int
	queryRow(t, e.pool, "SELECT count(*) FROM cases").Scan(&n)
	if n != 0 {
		t.Errorf("%d cases created by refused reports", n)
	}
}

func TestGCJ02CoordinatesAreConvertedToWGS84(t *testing.T) {
	e := newCaseEnv(t)
	// a point 50 m inside grid 002's west edge in WGS84; its GCJ-02 reading
	// lies several hundred metres east of it
	lon, lat := 115.5005, 23.0
	gLon, gLat := geo.WGS84ToGCJ02(lon, lat)
	var d caseDoc
	res := e.do("POST", "/api/v1/cases?crs=gcj02", "city", report(gLon, gLat, nil), &d)
	if res.StatusCode != 201 {
		t.Fatalf("%d %s", res.StatusCode, res.Body)
	}
	var x, y float64
	queryRow(t, e.pool, "SELECT ST_X(geom), ST_Y(geom) FROM cases WHERE id = $1", d.ID).Scan(&x, &y)
	if dx, dy := (x-lon)*102000, (y-lat)*110700; dx*dx+dy*dy > 0.25 {
		t.Errorf("stored (%v, %v), want (%v, %v) within 0.5 m", x, y, lon, lat)
	}
	if d.Properties["grid_code"] != "441502001001002" {
		t.Errorf("grid %v", d.Properties["grid_code"])
	}
}

func TestNearbyOpenCasesOfTheSameCategoryAreListedAsPossibleDuplicates(t *testing.T) {
	e := newCaseEnv(t)
	first := e.newCase("worker1", 115.2, 23.0, nil)
	fire := e.newCase("worker1", 115.2, 23.0, map[string]any{"category": "fire"})
	far := e.newCase("worker1", 115.2, 23.0+60.0/110700, nil) // 60 m north
	_ = far
	near := e.newCase("worker1", 115.2, 23.0+40.0/110700, nil) // 40 m north
	dups, _ := near.Properties["possible_duplicates"].([]any)
	ids := []string{}
	for _, d := range dups {
		ids = append(ids, d.(map[string]any)["id"].(string))
	}
	if strings.Join(ids, ",") != first.ID+","+far.ID {
		t.Errorf("possible duplicates %v, want %s (40 m) then %s (20 m from far)", ids, first.ID, far.ID)
	}
	for _, id := range ids {
		if id == fire.ID {
			t.Error("a case of another category is listed")
		}
	}
	// stored on the case too
	got := e.get("xingang", near.ID)
	if g, _ := got.Properties["possible_duplicates"].([]any); len(g) != 2 {
		t.Errorf("stored duplicates: %v", got.Properties["possible_duplicates"])
	}
	// the office merges it
	d := e.mustAct("xingang", near.ID, map[string]any{"action": "merge", "version": 1, "duplicate_of": first.ID})
	if d.state() != "duplicate" || d.Properties["duplicate_of"] != first.ID {
		t.Errorf("merged: %+v", d.Properties)
	}
	// a closed or merged case is no longer a candidate
	again := e.newCase("worker1", 115.2, 23.0+40.0/110700, nil)
	for _, x := range again.Properties["possible_duplicates"].([]any) {
		if x.(map[string]any)["id"] == near.ID {
			t.Error("a duplicate case is listed as a candidate")
		}
	}
}

// A reporter sees only the possible duplicates they may see: a case 40 m
// away across a grid line belongs to another worker's grid.
func TestPossibleDuplicatesListOnlyCasesTheReaderMaySee(t *testing.T) {
	e := newCaseEnv(t)
	across := e.newCase("worker2", 115.5+20.0/102000, 23.0, nil) // grid 002, 20 m east of the line
	mine := e.newCase("worker1", 115.5-20.0/102000, 23.0, nil)   // grid 001, 20 m west
	listed := func(d caseDoc) bool {
		for _, x := range d.Properties["possible_duplicates"].([]any) {
			if x.(map[string]any)["id"] == across.ID {
				return true
			}
		}
		return false
	}
	if listed(mine) {
		t.Errorf("the report's reply lists %s, a case of another worker's grid", across.ID)
	}
	if listed(e.get("worker1", mine.ID)) {
		t.Errorf("the case lists %s to its reporter", across.ID)
	}
	var page struct{ Features []caseDoc }
	e.do("GET", "/api/v1/cases?limit=100", "worker1", nil, &page)
	for _, f := range page.Features {
		if f.ID == mine.ID && listed(f) {
			t.Errorf("the list shows %s to the reporter", across.ID)
		}
	}
	// the township office sees both cases, and so the candidate
	if !listed(e.get("xingang", mine.ID)) {
		t.Errorf("the office does not see %s among the possible duplicates", across.ID)
	}
}

func TestConcurrentActionsOnOneCaseOneWinsTheOtherGets409(t *testing.T) {
	e := newCaseEnv(t)
	for round := range 5 {
		c := e.newCase("worker1", 115.2, 23.0+float64(round)*0.01, nil)
		bodies := []map[string]any{
			{"action": "register", "version": 1},
			{"action": "void", "version": 1, "reason": "不是隐患"},
		}
		statuses := make([]int, 2)
		var wg sync.WaitGroup
		for i, b := range bodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				raw, _ := json.Marshal(b)
				req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/cases/"+c.ID+"/actions", bytes.NewReader(raw))
				req.Header.Set("Authorization", "Bearer "+e.token[[]string{"xingang", "xingang2"}[i]])
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				statuses[i] = res.StatusCode
			}()
		}
		wg.Wait()
		if !(statuses[0] == 200 && statuses[1] == 409 || statuses[0] == 409 && statuses[1] == 200) {
			t.Fatalf("round %d: statuses %v, want one 200 and one 409", round, statuses)
		}
		got := e.get("city", c.ID)
		if len(got.Events) != 2 || got.version() != 2 || got.Events[1].ToState != got.state() || got.Events[1].Version != 2 {
			t.Errorf("round %d: state %s v%d, events %+v", round, got.state(), got.version(), got.Events)
		}
	}
}

func TestStaleVersionIsRefusedNamingTheCurrentState(t *testing.T) {
	e := newCaseEnv(t)
	c := e.newCase("worker1", 115.2, 23.0, nil)
	e.mustAct("xingang", c.ID, map[string]any{"action": "register", "version": 1})
	before := e.caseSnapshot()
	var er errBody
	res := e.do("POST", "/api/v1/cases/"+c.ID+"/actions", "xingang", map[string]any{"action": "void", "version": 1, "reason": "x"}, &er)
	if res.StatusCode != 409 || !strings.Contains(er.Error.Message, "version 2") || !strings.Contains(er.Error.Message, "registered") {
		t.Errorf("%d %s", res.StatusCode, res.Body)
	}
	if after := e.caseSnapshot(); after != before {
		t.Error("a refused action changed the database")
	}
}

// caseSnapshot fingerprints the case tables.
func (e *caseEnv) caseSnapshot() string {
	e.t.Helper()
	var out strings.Builder
	for _, tbl := range []string{"cases", "case_events", "attachments"} {
		var s string
		if err := e.pool.QueryRow(context.Background(), "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM "+tbl+" t").Scan(&s); err != nil {
			e.t.Fatal(err)
		}
		out.WriteString(tbl + "=" + s + ";")
	}
	return out.String()
}

func TestMissingRequiredFieldsAreNamed(t *testing.T) {
	e := newCaseEnv(t)
	c := e.newCase("city", 115.2, 23.0, map[string]any{"grade": "major"})
	e.mustAct("xingang", c.ID, map[string]any{"action": "register", "version": 1})
	cases := []struct {
		body map[string]any
		want []string
	}{
		{map[string]any{"action": "assign", "version": 2}, []string{"assignee", "deadline", "measures", "funds", "plan"}},
		{map[string]any{"action": "assign", "version": 2, "assignee": e.ids["worker1"], "deadline": future(3), "measures": "封控"}, []string{"funds", "plan"}},
		{map[string]any{"action": "assign", "version": 2, "assignee": e.ids["worker3"], "deadline": future(3), "measures": "m", "funds": "f", "plan": "p"}, []string{"assignee", "another township"}},
		{map[string]any{"action": "assign", "version": 2, "assignee": e.ids["planner"], "deadline": future(3), "measures": "m", "funds": "f", "plan": "p"}, []string{"assignee", "planner"}},
		{map[string]any{"action": "assign", "version": 2, "assignee": e.ids["worker1"], "deadline": "2020-01-01", "measures": "m", "funds": "f", "plan": "p"}, []string{"deadline", "not in the future"}},
		{map[string]any{"action": "assign", "version": 2, "assignee": e.ids["worker1"], "deadline": "soon", "measures": "m", "funds": "f", "plan": "p"}, []string{"deadline"}},
		{map[string]any{"action": "register", "version": 2, "assignee": e.ids["worker1"]}, []string{"assignee", "not used by action register"}},
		{map[string]any{"action": "fix", "version": 2}, []string{"unknown action", "fix"}},
		{map[string]any{"action": "assign"}, []string{"version"}},
	}
	for _, c2 := range cases {
		var er errBody
		res := e.do("POST", "/api/v1/cases/"+c.ID+"/actions", "xingang", c2.body, &er)
		if res.StatusCode != 422 {
			t.Errorf("%v: %d %s", c2.body, res.StatusCode, res.Body)
			continue
		}
		for _, w := range c2.want {
			if !strings.Contains(er.Error.Message, w) {
				t.Errorf("%v: message %q does not name %q", c2.body, er.Error.Message, w)
			}
		}
	}
	// the 五落实 are kept on the case
	d := e.mustAct("xingang", c.ID, map[string]any{"action": "assign", "version": 2, "assignee": e.ids["worker1"], "deadline": future(30),
		"responsibility": "新港街道应急办", "measures": "设置警示", "funds": "5万元", "plan": "应急预案A"})
	if d.Properties["measures"] != "设置警示" || d.Properties["funds"] != "5万元" || d.Properties["plan"] != "应急预案A" || d.Properties["responsibility"] != "新港街道应急办" {
		t.Errorf("五落实: %+v", d.Properties)
	}
	// submit without a photo
	d = e.mustAct("worker1", c.ID, map[string]any{"action": "start", "version": d.version()})
	var er errBody
	if res := e.do("POST", "/api/v1/cases/"+c.ID+"/actions", "worker1", map[string]any{"action": "submit", "version": d.version()}, &er); res.StatusCode != 422 || !strings.Contains(er.Error.Message, "attachments") {
		t.Errorf("submit without evidence: %d %s", res.StatusCode, res.Body)
	}
	res, pdf := e.upload("worker1", c.ID, "report.pdf", []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"))
	if res.StatusCode != 201 {
		t.Fatalf("pdf upload: %d %s", res.StatusCode, res.Body)
	}
	if res := e.do("POST", "/api/v1/cases/"+c.ID+"/actions", "worker1", map[string]any{"action": "submit", "version": d.version(), "attachments": []string{pdf["id"].(string)}}, &er); res.StatusCode != 422 || !strings.Contains(er.Error.Message, "photo") {
		t.Errorf("submit with only a PDF: %d %s", res.StatusCode, res.Body)
	}
	if res := e.do("POST", "/api/v1/cases/"+c.ID+"/actions", "worker1", map[string]any{"action": "submit", "version": d.version(), "attachments": []string{"0b6f1c52-8a3e-4d0e-9b7a-2f5e1c9d4a10"}}, &er); res.StatusCode != 422 || !strings.Contains(er.Error.Message, "0b6f1c52") {
		t.Errorf("submit with someone else's attachment: %d %s", res.StatusCode, res.Body)
	}
}

func TestScopeDecidesWhoSeesAndWhoActs(t *testing.T) {
	e := newCaseEnv(t)
	c := e.newCase("worker1", 115.2, 23.0, nil)
	for _, u := range []string{"worker2", "worker3", "xiangzhou", "haifeng"} {
		if res := e.do("GET", "/api/v1/cases/"+c.ID, u, nil, nil); res.StatusCode != 404 {
			t.Errorf("%s reads another area's case: %d", u, res.StatusCode)
		}
	}
	for _, u := range []string{"worker1", "xingang", "chengqu", "city", "planner", "admin"} {
		if res := e.do("GET", "/api/v1/cases/"+c.ID, u, nil, nil); res.StatusCode != 200 {
			t.Errorf("%s cannot read the case: %d", u, res.StatusCode)
		}
	}
	if res, _ := e.act("xiangzhou", c.ID, map[string]any{"action": "register", "version": 1}); res.StatusCode != 403 {
		t.Errorf("another township acts: %d %s", res.StatusCode, res.Body)
	}
	if res, _ := e.act("xiangzhou", "0b6f1c52-8a3e-4d0e-9b7a-2f5e1c9d4a10", map[string]any{"action": "register", "version": 1}); res.StatusCode != 403 {
		t.Errorf("acting on a case that does not exist, outside scope: %d %s", res.StatusCode, res.Body)
	}
	// a worker assigned a case outside own grids sees it and acts on it
	c2 := e.newCase("xingang", 115.7, 23.0, nil) // grid 002
	d := e.mustAct("xingang", c2.ID, map[string]any{"action": "register", "version": 1})
	d = e.mustAct("xingang", c2.ID, map[string]any{"action": "assign", "version": d.version(), "assignee": e.ids["worker1"], "deadline": future(5)})
	if res := e.do("GET", "/api/v1/cases/"+c2.ID, "worker1", nil, nil); res.StatusCode != 200 {
		t.Errorf("assignee cannot read: %d", res.StatusCode)
	}
	e.mustAct("worker1", c2.ID, map[string]any{"action": "start", "version": d.version()})
	var fc struct {
		Features []caseDoc `json:"features"`
	}
	e.do("GET", "/api/v1/cases", "worker1", nil, &fc)
	if len(fc.Features) != 2 {
		t.Errorf("worker1 lists %d cases, want its grid's and the one assigned", len(fc.Features))
	}
	e.do("GET", "/api/v1/cases", "worker2", nil, &fc)
	if len(fc.Features) != 1 || fc.Features[0].ID != c2.ID {
		t.Errorf("worker2 lists %+v, want only the case in its grid", fc.Features)
	}
	e.do("GET", "/api/v1/cases", "xiangzhou", nil, &fc)
	if len(fc.Features) != 0 {
		t.Errorf("xiangzhou lists %d cases of another township", len(fc.Features))
	}
}

func TestApproveNeverBySubmitterAndMajorOnlyByCounty(t *testing.T) {
	e := newCaseEnv(t)
	// the township user works the case itself, so it is the submitter
	mk := func(grade, assignee string) (string, int) {
		c := e.newCase("city", 115.2, 23.0, map[string]any{"grade": grade})
		d := e.mustAct("xingang", c.ID, map[string]any{"action": "register", "version": 1})
		body := map[string]any{"action": "assign", "version": d.version(), "assignee": e.ids[assignee], "deadline": future(5)}
		if grade == "major" {
			body["measures"], body["funds"], body["plan"] = "m", "f", "p"
		}
		d = e.mustAct("chengqu", c.ID, body)
		d = e.mustAct(assignee, c.ID, map[string]any{"action": "start", "version": d.version()})
		d = e.mustAct(assignee, c.ID, map[string]any{"action": "submit", "version": d.version(), "attachments": []string{e.photo(assignee, c.ID)}})
		return c.ID, d.version()
	}
	id, v := mk("general", "xingang")
	if res, _ := e.act("xingang", id, map[string]any{"action": "approve", "version": v, "note": "ok"}); res.StatusCode != 403 || !strings.Contains(string(res.Body), "submitted") {
		t.Errorf("submitter approves: %d %s", res.StatusCode, res.Body)
	}
	if res, _ := e.act("xingang", id, map[string]any{"action": "reject", "version": v, "reason": "no"}); res.StatusCode != 403 {
		t.Errorf("submitter rejects: %d %s", res.StatusCode, res.Body)
	}
	e.mustAct("xingang2", id, map[string]any{"action": "approve", "version": v, "note": "ok"})

	id, v = mk("major", "worker1")
	if res, _ := e.act("xingang", id, map[string]any{"action": "approve", "version": v, "note": "ok"}); res.StatusCode != 403 || !strings.Contains(string(res.Body), "county") {
		t.Errorf("township approves a major hazard: %d %s", res.StatusCode, res.Body)
	}
	if res, _ := e.act("haifeng", id, map[string]any{"action": "approve", "version": v, "note": "ok"}); res.StatusCode != 403 {
		t.Errorf("another county approves: %d %s", res.StatusCode, res.Body)
	}
	d := e.mustAct("chengqu", id, map[string]any{"action": "reject", "version": v, "reason": "警示牌缺失"})
	if d.state() != "rectifying" {
		t.Errorf("rejected: %s", d.state())
	}
}

func TestReopenOnlyWithin90DaysAndSuspendOnlyMajor(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	c := e.newCase("worker1", 115.2, 23.0, nil)
	// put it straight into closed, 91 days ago
	if _, err := e.pool.Exec(ctx, `UPDATE cases SET state = 'closed', closed_at = now() - interval '91 days', assignee_id = $2 WHERE id = $1`, c.ID, e.ids["worker1"]); err != nil {
		t.Fatal(err)
	}
	v := e.get("city", c.ID).version()
	if res, _ := e.act("chengqu", c.ID, map[string]any{"action": "reopen", "version": v, "reason": "复发"}); res.StatusCode != 409 || !strings.Contains(string(res.Body), "90 days") {
		t.Errorf("reopen after 91 days: %d %s", res.StatusCode, res.Body)
	}
	e.pool.Exec(ctx, `UPDATE cases SET closed_at = now() - interval '89 days' WHERE id = $1`, c.ID)
	v = e.get("city", c.ID).version()
	if res, _ := e.act("xingang", c.ID, map[string]any{"action": "reopen", "version": v, "reason": "复发"}); res.StatusCode != 403 {
		t.Errorf("township reopens: %d %s", res.StatusCode, res.Body)
	}
	d := e.mustAct("chengqu", c.ID, map[string]any{"action": "reopen", "version": v, "reason": "复发"})
	if d.state() != "rectifying" || d.Properties["closed_at"] != nil || d.Properties["reopened_at"] == nil {
		t.Errorf("reopened: %+v", d.Properties)
	}
	if res, _ := e.act("chengqu", c.ID, map[string]any{"action": "suspend", "version": d.version(), "reason": "r", "interim_controls": "围挡"}); res.StatusCode != 409 || !strings.Contains(string(res.Body), "major") {
		t.Errorf("suspend a general case: %d %s", res.StatusCode, res.Body)
	}
}

func TestOverdueAndEscalatedLists(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	mk := func(user string, lon float64, deadlineDaysAgo float64, state string) string {
		c := e.newCase(user, lon, 23.0, nil)
		if _, err := e.pool.Exec(ctx, `UPDATE cases SET state = $2, assignee_id = $3, deadline = now() - make_interval(secs => $4 * 86400),
			closed_at = CASE WHEN $2 = 'closed' THEN now() END WHERE id = $1`, c.ID, state, e.ids["worker1"], deadlineDaysAgo); err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	onTime := mk("worker1", 115.2, -2, "rectifying") // due in 2 days
	late1 := mk("worker1", 115.21, 1, "rectifying")  // 1 day late
	late5 := mk("worker1", 115.22, 5, "assigned")    // 5 days late: escalated
	closed := mk("worker1", 115.23, 10, "closed")    // closed: never overdue
	other := mk("xiangzhou", 116.2, 6, "rectifying") // another township, escalated
	_ = onTime
	_ = closed
	// escalation is recorded by the job: until it runs, nothing is escalated
	if d := e.get("xingang", late5); d.Properties["escalated"] != false {
		t.Errorf("late5 escalated before the job ran: %v", d.Properties["escalated"])
	}
	for run, want := range []int{2, 0} {
		if n, err := e.cases.Escalate(ctx, time.Now(), 0); err != nil || n != want {
			t.Fatalf("escalation run %d: %d events, %v; want %d", run+1, n, err, want)
		}
	}
	list := func(user, query string) []string {
		var fc struct {
			Features []caseDoc `json:"features"`
		}
		if res := e.do("GET", "/api/v1/cases?"+query, user, nil, &fc); res.StatusCode != 200 {
			t.Fatalf("%s %s: %d %s", user, query, res.StatusCode, res.Body)
		}
		ids := []string{}
		for _, f := range fc.Features {
			ids = append(ids, f.ID)
		}
		return ids
	}
	eq := func(got []string, want ...string) bool { return strings.Join(got, ",") == strings.Join(want, ",") }
	if got := list("xingang", "overdue=true"); !eq(got, late5, late1) {
		t.Errorf("township overdue list %v, want %v", got, []string{late5, late1})
	}
	if got := list("chengqu", "escalated=true"); !eq(got, other, late5) {
		t.Errorf("county escalated list %v, want %v", got, []string{other, late5})
	}
	if got := list("chengqu", "escalated=true&area=441502001000"); !eq(got, late5) {
		t.Errorf("county escalated list for one township %v", got)
	}
	if got := list("xingang", "escalated=true"); !eq(got, late5) {
		t.Errorf("township escalated %v", got)
	}
	d := e.get("xingang", late5)
	if d.Properties["overdue"] != true || d.Properties["escalated"] != true || d.Properties["escalation_level"] != float64(1) {
		t.Errorf("late5 flags: %v %v %v", d.Properties["overdue"], d.Properties["escalated"], d.Properties["escalation_level"])
	}
	if last := d.Events[len(d.Events)-1]; last.Action != "escalate" || last.Role != "system" || last.ToState != "assigned" ||
		last.FromState == nil || *last.FromState != "assigned" || last.Version != d.version() {
		t.Errorf("late5's last event %+v, want an escalation by the system with the state unchanged", last)
	}
	if d := e.get("xingang", late1); d.Properties["overdue"] != true || d.Properties["escalated"] != false {
		t.Errorf("late1 flags: %v %v", d.Properties["overdue"], d.Properties["escalated"])
	}
	if got := list("xingang", "state=closed"); !eq(got, closed) {
		t.Errorf("state filter %v", got)
	}
	// paging: one per page, following next links
	var seen []string
	next := "/api/v1/cases?limit=1"
	for next != "" {
		var fc struct {
			Features []caseDoc `json:"features"`
			Links    []struct{ Rel, Href string }
		}
		e.do("GET", next, "chengqu", nil, &fc)
		for _, f := range fc.Features {
			seen = append(seen, f.ID)
		}
		next = ""
		for _, l := range fc.Links {
			if l.Rel == "next" {
				next = l.Href
			}
		}
		if len(seen) > 10 {
			break
		}
	}
	if len(seen) != 5 {
		t.Errorf("paged through %d cases, want 5", len(seen))
	}
	if res := e.do("GET", "/api/v1/cases?overdue=maybe", "xingang", nil, nil); res.StatusCode != 400 {
		t.Errorf("bad overdue: %d", res.StatusCode)
	}
}

func TestMergeNeedsARealOriginal(t *testing.T) {
	e := newCaseEnv(t)
	orig := e.newCase("worker1", 115.2, 23.0, nil)
	dup := e.newCase("worker1", 115.2, 23.0, nil)
	other := e.newCase("xiangzhou", 116.2, 23.0, nil)
	void := e.newCase("worker1", 115.3, 23.0, nil)
	e.mustAct("xingang", void.ID, map[string]any{"action": "void", "version": 1, "reason": "不是隐患"})
	d := e.mustAct("xingang", dup.ID, map[string]any{"action": "merge", "version": 1, "duplicate_of": orig.ID})
	third := e.newCase("worker1", 115.2, 23.0, nil)
	for _, c := range []struct {
		target string
		want   []string
	}{
		{third.ID, []string{"itself"}},
		{dup.ID, []string{"duplicate of", orig.ID}},
		{void.ID, []string{"void"}},
		{other.ID, []string{"no case", other.ID}},
		{"0b6f1c52-8a3e-4d0e-9b7a-2f5e1c9d4a10", []string{"no case"}},
		{"not-a-uuid", []string{"duplicate_of"}},
	} {
		var er errBody
		res := e.do("POST", "/api/v1/cases/"+third.ID+"/actions", "xingang", map[string]any{"action": "merge", "version": 1, "duplicate_of": c.target}, &er)
		if res.StatusCode != 422 {
			t.Errorf("merge into %s: %d %s", c.target, res.StatusCode, res.Body)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(er.Error.Message, w) {
				t.Errorf("merge into %s: %q does not name %q", c.target, er.Error.Message, w)
			}
		}
	}
	if res, _ := e.act("xingang", dup.ID, map[string]any{"action": "register", "version": d.version()}); res.StatusCode != 409 {
		t.Errorf("a duplicate is not open any more: %d", res.StatusCode)
	}
}

func TestBD09CoordinatesAreConvertedToo(t *testing.T) {
	e := newCaseEnv(t)
	lon, lat := 115.2, 23.0
	bLon, bLat := geo.WGS84ToBD09(lon, lat)
	var d caseDoc
	if res := e.do("POST", "/api/v1/cases?crs=bd09", "worker1", report(bLon, bLat, nil), &d); res.StatusCode != 201 {
		t.Fatalf("%d %s", res.StatusCode, res.Body)
	}
	var x, y float64
	queryRow(t, e.pool, "SELECT ST_X(geom), ST_Y(geom) FROM cases WHERE id = $1", d.ID).Scan(&x, &y)
	if dx, dy := (x-lon)*102000, (y-lat)*110700; dx*dx+dy*dy > 1 {
		t.Errorf("stored (%v, %v), want (%v, %v) within 1 m", x, y, lon, lat)
	}
	// an action's location is converted the same way
	res := e.do("POST", "/api/v1/cases/"+d.ID+"/actions?crs=bd09", "xingang", map[string]any{"action": "register", "version": 1,
		"location": map[string]any{"type": "Point", "coordinates": []float64{bLon, bLat}}}, nil)
	if res.StatusCode != 200 {
		t.Fatalf("register: %d %s", res.StatusCode, res.Body)
	}
	var ex, ey float64
	queryRow(t, e.pool, "SELECT ST_X(geom), ST_Y(geom) FROM case_events WHERE case_id = $1 AND action = 'register'", d.ID).Scan(&ex, &ey)
	if dx, dy := (ex-lon)*102000, (ey-lat)*110700; dx*dx+dy*dy > 1 {
		t.Errorf("event location (%v, %v), want (%v, %v) within 1 m", ex, ey, lon, lat)
	}
}
