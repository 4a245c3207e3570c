package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime/multipart"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/patrols"
)

var cst = time.FixedZone("CST", 8*3600)

// patrolEnv is the API fixture with helpers for patrols.
type patrolEnv struct{ *env }

func newPatrolEnv(t *testing.T) patrolEnv { return patrolEnv{newEnv(t)} }

// point adds an active risk point (as the admin) and returns its id.
func (e patrolEnv) point(lon, lat float64, level int, category string) int64 {
	e.t.Helper()
	var f feature
	res := e.do("POST", "/api/v1/risk_points", "admin", pointFeature(lon, lat, map[string]any{"name": "巡查点", "category": category, "risk_level": level}), &f)
	if res.StatusCode != 201 {
		e.t.Fatalf("risk point: %d %s", res.StatusCode, res.Body)
	}
	return f.ID
}

// answers is every item of the category's current list answered ok, the
// first problem when problem is set.
func answers(category string, problem bool) map[string]any {
	list, _ := patrols.CurrentChecklist(category)
	a := map[string]any{}
	for i, it := range list.Items {
		a[it.Key] = "ok"
		if problem && i == 0 {
			a[it.Key] = "problem"
		}
	}
	return map[string]any{"version": list.Version, "answers": a}
}

// patrolOf is a normal patrol of point rp by a phone at lon, lat.
func patrolOf(id string, rp int64, lon, lat float64, at time.Time) map[string]any {
	return map[string]any{"type": "Feature", "id": id,
		"geometry": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}},
		"properties": map[string]any{"risk_point_id": rp, "device_time": at.Format(time.RFC3339), "accuracy_m": 8,
			"checklist": answers("flood", false), "result": "normal"}}
}

// problem turns a patrol into one that found hazards.
func problem(f map[string]any, findings ...map[string]any) map[string]any {
	p := f["properties"].(map[string]any)
	p["result"] = "problem"
	p["checklist"] = answers("flood", true)
	p["findings"] = findings
	return f
}

// send posts a patrol (any JSON value, or raw text) with photos as user.
func (e patrolEnv) send(user string, patrol any, photos ...[]byte) response {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if patrol != nil {
		raw, ok := patrol.(string)
		if !ok {
			b, _ := json.Marshal(patrol)
			raw = string(b)
		}
		fw, _ := mw.CreateFormField("patrol")
		fw.Write([]byte(raw))
	}
	for i, p := range photos {
		fw, _ := mw.CreateFormFile("file", fmt.Sprintf("photo%d.png", i))
		fw.Write(p)
	}
	mw.Close()
	return e.do("POST", "/api/v1/patrols", user, body.Bytes(), nil, "Content-Type", mw.FormDataContentType())
}

func (e patrolEnv) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// stored fingerprints everything a patrol may write: its rows, its cases
// and their evidence, the risk points, the blob files.
func (e patrolEnv) stored() string {
	e.t.Helper()
	var out strings.Builder
	for _, tbl := range []string{"patrols", "patrol_photos", "patrol_replies", "cases", "case_events", "attachments", "risk_points"} {
		var s string
		err := e.pool.QueryRow(context.Background(), "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM "+tbl+" t").Scan(&s)
		if err != nil {
			e.t.Fatalf("stored %s: %v", tbl, err)
		}
		out.WriteString(tbl + "=" + s + ";")
	}
	files := 0
	_ = filepath.WalkDir(e.blobDir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
		}
		return nil
	})
	fmt.Fprintf(&out, "blobs=%d", files)
	return out.String()
}

type patrolReply struct {
	ID         string
	Properties struct {
		OffSite   bool    `json:"off_site"`
		DistanceM float64 `json:"distance_m"`
		DueOn     string  `json:"due_on"`
		OnTime    bool    `json:"on_time"`
		PatrolDay string  `json:"patrol_day"`
		CaseIDs   []string
	}
	Photos []struct{ ID, URL string }
	Cases  []struct {
		ID         string
		Properties struct {
			State       string
			PatrolID    *string `json:"patrol_id"`
			RiskPointID *int64  `json:"risk_point_id"`
			Reporter    *int64
			Description string
		}
	}
}

func decodePatrol(t *testing.T, res response) patrolReply {
	t.Helper()
	var r patrolReply
	if err := json.Unmarshal(res.Body, &r); err != nil {
		t.Fatalf("patrol reply %s: %v", res.Body, err)
	}
	return r
}

func TestAPatrolResentByAnOfflinePhoneIsRecordedOnce(t *testing.T) {
	e := newPatrolEnv(t)
	rp := e.point(115.25, 23.0, 2, "flood")
	const id = "6f1d3a52-8a3e-4d0e-9b7a-2f5e1c9d4a10"
	p := patrolOf(id, rp, 115.2501, 23.0, time.Now().Add(-2*time.Hour))
	photo := pngBytes(t, 1)
	first := e.send("worker1", p, photo)
	if first.StatusCode != 201 {
		t.Fatalf("first send: %d %s", first.StatusCode, first.Body)
	}
	if got := decodePatrol(t, first).ID; got != id {
		t.Fatalf("the patrol's id is %q, not the phone's %q", got, id)
	}
	// the answer was lost: the phone sends again, many times, some at once
	again := e.send("worker1", p, photo)
	if again.StatusCode != 201 || !bytes.Equal(again.Body, first.Body) {
		t.Fatalf("resend: %d, same body %v:\n%s\n%s", again.StatusCode, bytes.Equal(again.Body, first.Body), again.Body, first.Body)
	}
	var wg sync.WaitGroup
	bodies := make([]response, 10)
	for i := range bodies {
		wg.Add(1)
		go func() { defer wg.Done(); bodies[i] = e.send("worker1", p, photo) }()
	}
	wg.Wait()
	for i, r := range bodies {
		if r.StatusCode != 201 || !bytes.Equal(r.Body, first.Body) {
			t.Fatalf("concurrent resend %d: %d %s", i, r.StatusCode, r.Body)
		}
	}
	// a new patrol at once (the phone's clock was behind): the replay stays the first answer
	later := patrolOf("7a2d3a52-8a3e-4d0e-9b7a-2f5e1c9d4a11", rp, 115.2501, 23.0, time.Now())
	if r := e.send("worker1", later, pngBytes(t, 2)); r.StatusCode != 201 {
		t.Fatalf("second patrol: %d %s", r.StatusCode, r.Body)
	}
	if r := e.send("worker1", p, photo); !bytes.Equal(r.Body, first.Body) {
		t.Fatalf("a resend after another patrol is not the first answer: %s", r.Body)
	}
	for _, c := range []struct{ table, want string }{{"patrols", "2"}, {"patrol_photos", "2"}, {"patrol_replies", "2"}} {
		if n := e.count("SELECT count(*) FROM " + c.table); fmt.Sprint(n) != c.want {
			t.Errorf("%s: %d rows, want %s", c.table, n, c.want)
		}
	}
	// the same id with other content, or from someone else, is another patrol
	before := e.stored()
	other := patrolOf(id, rp, 115.2501, 23.0, time.Now().Add(-2*time.Hour))
	other["properties"].(map[string]any)["note"] = "另一次巡查"
	for name, r := range map[string]response{
		"another photo":  e.send("worker1", p, pngBytes(t, 9)),
		"other content":  e.send("worker1", other, photo),
		"another sender": e.send("xingang", p, photo),
	} {
		if r.StatusCode != 409 {
			t.Errorf("%s with a used id: %d %s", name, r.StatusCode, r.Body)
		}
	}
	if after := e.stored(); after != before {
		t.Errorf("a refused resend changed what is stored:\n%s\n%s", before, after)
	}
}

func TestAPatrolFarFromItsPointIsKeptAndMarkedOffSite(t *testing.T) {
	e := newPatrolEnv(t)
	rp := e.point(115.25, 23.0, 3, "flood")
	near := e.send("worker1", patrolOf("11111111-8a3e-4d0e-9b7a-2f5e1c9d4a10", rp, 115.2504, 23.0, time.Now()), pngBytes(t, 1))
	// 0.005° of longitude at 23° N is about 512 m
	far := e.send("worker1", patrolOf("22222222-8a3e-4d0e-9b7a-2f5e1c9d4a10", rp, 115.255, 23.0, time.Now()), pngBytes(t, 2))
	if near.StatusCode != 201 || far.StatusCode != 201 {
		t.Fatalf("patrols: %d %s / %d %s", near.StatusCode, near.Body, far.StatusCode, far.Body)
	}
	n, f := decodePatrol(t, near), decodePatrol(t, far)
	if n.Properties.OffSite || n.Properties.DistanceM < 35 || n.Properties.DistanceM > 50 {
		t.Errorf("41 m away: off_site %v, distance %v", n.Properties.OffSite, n.Properties.DistanceM)
	}
	if !f.Properties.OffSite || f.Properties.DistanceM < 500 || f.Properties.DistanceM > 525 {
		t.Errorf("512 m away: off_site %v, distance %v", f.Properties.OffSite, f.Properties.DistanceM)
	}
	// the office sees it among the off-site patrols of its area
	var list struct{ Features []patrolReply }
	if r := e.do("GET", "/api/v1/patrols?off_site=true&area=441502001000", "xingang", nil, &list); r.StatusCode != 200 {
		t.Fatalf("list: %d %s", r.StatusCode, r.Body)
	}
	if len(list.Features) != 1 || list.Features[0].ID != f.ID {
		t.Fatalf("off-site list: %+v", list.Features)
	}
	// and is told of it, once, in its inbox (patrol_review); not of the
	// patrol on site
	var in struct {
		Notifications []struct {
			Kind  string  `json:"kind"`
			RefID *string `json:"ref_id"`
			Title string  `json:"title"`
			Body  string  `json:"body"`
		} `json:"notifications"`
	}
	if r := e.do("GET", "/api/v1/notifications?limit=100", "xingang", nil, &in); r.StatusCode != 200 {
		t.Fatalf("inbox: %d %s", r.StatusCode, r.Body)
	}
	var told []string
	for _, x := range in.Notifications {
		if x.Kind == "patrol_review" && x.RefID != nil {
			told = append(told, *x.RefID)
			if !strings.Contains(x.Body, "米") || !strings.HasPrefix(x.Title, "巡查位置异常") {
				t.Errorf("notice: %q / %q", x.Title, x.Body)
			}
		}
	}
	if len(told) != 1 || told[0] != f.ID {
		t.Errorf("patrol_review told of %v, want only the off-site patrol %s", told, f.ID)
	}
}

func TestAProblemPatrolOpensItsCasesInItsOwnTransaction(t *testing.T) {
	e := newPatrolEnv(t)
	rp := e.point(115.25, 23.0, 1, "flood")
	p := problem(patrolOf("33333333-8a3e-4d0e-9b7a-2f5e1c9d4a10", rp, 115.2501, 23.0, time.Now()),
		map[string]any{"description": "排水沟堵塞"},
		map[string]any{"description": "警示牌倒伏", "grade": "major", "category": "other"})
	res := e.send("worker1", p, pngBytes(t, 1))
	if res.StatusCode != 201 {
		t.Fatalf("problem patrol: %d %s", res.StatusCode, res.Body)
	}
	r := decodePatrol(t, res)
	if len(r.Cases) != 2 {
		t.Fatalf("cases opened: %d, want 2: %s", len(r.Cases), res.Body)
	}
	for _, c := range r.Cases {
		pr := c.Properties
		if pr.State != "reported" || pr.PatrolID == nil || *pr.PatrolID != r.ID || pr.RiskPointID == nil || *pr.RiskPointID != rp {
			t.Errorf("case %s: %+v", c.ID, pr)
		}
		var full struct {
			Attachments []struct {
				ContentType string `json:"content_type"`
			}
		}
		if res := e.do("GET", "/api/v1/cases/"+c.ID, "xingang", nil, &full); res.StatusCode != 200 || len(full.Attachments) != 1 {
			t.Errorf("case %s as the office sees it: %d, %d attachments", c.ID, res.StatusCode, len(full.Attachments))
		}
	}
	var got patrolReply
	if res := e.do("GET", "/api/v1/patrols/"+r.ID, "xingang", nil, &got); res.StatusCode != 200 || len(got.Cases) != 2 || len(got.Photos) != 1 {
		t.Fatalf("GET patrol: %d, %d cases, %d photos", res.StatusCode, len(got.Cases), len(got.Photos))
	}
	if res := e.do("GET", got.Photos[0].URL, "worker1", nil, nil); res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("photo: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}

	// the second case cannot be written: neither the patrol nor the first case stands
	if _, err := e.pool.Exec(context.Background(), `
		CREATE FUNCTION fail_case() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
		  IF NEW.description = '写入失败' THEN
		    RAISE EXCEPTION USING ERRCODE = 'RM003', MESSAGE = 'injected failure';
		  END IF;
		  RETURN NEW;
		END $$;
		CREATE TRIGGER fail_case BEFORE INSERT ON cases FOR EACH ROW EXECUTE FUNCTION fail_case();`); err != nil {
		t.Fatal(err)
	}
	before := e.stored()
	bad := problem(patrolOf("44444444-8a3e-4d0e-9b7a-2f5e1c9d4a10", rp, 115.2501, 23.0, time.Now()),
		map[string]any{"description": "护栏缺失"}, map[string]any{"description": "写入失败"})
	if res := e.send("worker1", bad, pngBytes(t, 2)); res.StatusCode != 422 {
		t.Fatalf("failing case: %d %s", res.StatusCode, res.Body)
	}
	after := e.stored()
	// the photo's blob may be written before the transaction (content-
	// addressed, harmless); no row may remain
	if strings.Split(after, "blobs=")[0] != strings.Split(before, "blobs=")[0] {
		t.Errorf("a failed problem patrol left rows:\n%s\n%s", before, after)
	}
	// a finding outside the worker's grids is refused before anything is written
	before = e.stored()
	out := problem(patrolOf("55555555-8a3e-4d0e-9b7a-2f5e1c9d4a10", rp, 115.2501, 23.0, time.Now()),
		map[string]any{"description": "河堤渗水", "location": map[string]any{"type": "Point", "coordinates": []float64{115.75, 23.0}}})
	res = e.send("worker1", out, pngBytes(t, 3))
	if res.StatusCode != 403 || !strings.Contains(string(res.Body), "properties.findings[0].location") {
		t.Fatalf("finding outside the worker's grids: %d %s", res.StatusCode, res.Body)
	}
	if after := e.stored(); after != before {
		t.Errorf("a refused problem patrol left something:\n%s\n%s", before, after)
	}
}

func TestBadPatrolsAreRefusedNamingTheFieldAndLeaveNothing(t *testing.T) {
	e := newPatrolEnv(t)
	rp := e.point(115.25, 23.0, 2, "flood")
	other := e.point(115.75, 23.0, 2, "flood") // grid 002: not worker1's
	now := time.Now()
	ok := func() map[string]any {
		return patrolOf("66666666-8a3e-4d0e-9b7a-2f5e1c9d4a10", rp, 115.2501, 23.0, now)
	}
	with := func(mod func(f, p map[string]any)) map[string]any {
		f := ok()
		mod(f, f["properties"].(map[string]any))
		return f
	}
	photo := pngBytes(t, 1)
	cases := []struct {
		name   string
		patrol any
		photos [][]byte
		status int
		field  string
	}{
		{"no photo", ok(), nil, 422, `"file"`},
		{"a photo that is a PDF", ok(), [][]byte{[]byte("%PDF-1.4\n1 0 obj\n")}, 422, `"file[0]"`},
		{"a second photo that is text", ok(), [][]byte{photo, []byte("just some text, not a photo")}, 422, `"file[1]"`},
		{"a device time 11 minutes ahead", with(func(_, p map[string]any) { p["device_time"] = now.Add(11 * time.Minute).Format(time.RFC3339) }), [][]byte{photo}, 422, `"properties.device_time"`},
		{"no position", with(func(f, _ map[string]any) { delete(f, "geometry") }), [][]byte{photo}, 422, `"geometry"`},
		{"a position without coordinates", with(func(f, _ map[string]any) { f["geometry"] = map[string]any{"type": "Point", "coordinates": []float64{}} }), [][]byte{photo}, 422, `"geometry"`},
		{"a point outside the worker's grids", with(func(_, p map[string]any) { p["risk_point_id"] = other }), [][]byte{photo}, 403, `"properties.risk_point_id"`},
		{"no such point", with(func(_, p map[string]any) { p["risk_point_id"] = 999999 }), [][]byte{photo}, 422, `"properties.risk_point_id"`},
		{"an item not answered", with(func(_, p map[string]any) {
			delete(p["checklist"].(map[string]any)["answers"].(map[string]any), "drainage")
		}), [][]byte{photo}, 422, `"properties.checklist.answers.drainage"`},
		{"a problem without findings", with(func(_, p map[string]any) { p["result"] = "problem" }), [][]byte{photo}, 422, `"properties.findings"`},
		{"a finding without a description", problem(ok(), map[string]any{"grade": "general"}), [][]byte{photo}, 422, `"properties.findings[0].description"`},
		{"no patrol field", nil, [][]byte{photo}, 422, `"patrol"`},
		{"a patrol that is not JSON", "{not json", [][]byte{photo}, 400, ""},
	}
	before := e.stored()
	for _, c := range cases {
		res := e.send("worker1", c.patrol, c.photos...)
		if res.StatusCode != c.status || !strings.Contains(string(res.Body), c.field) {
			t.Errorf("%s: %d %s (want %d naming %s)", c.name, res.StatusCode, res.Body, c.status, c.field)
		}
	}
	if after := e.stored(); after != before {
		t.Errorf("refused patrols left something:\n%s\n%s", before, after)
	}
	// planners and admins do not patrol
	for _, u := range []string{"planner", "admin"} {
		if res := e.send(u, ok(), photo); res.StatusCode != 403 {
			t.Errorf("%s: %d %s", u, res.StatusCode, res.Body)
		}
	}
}

type dueItem struct {
	ID         int64
	Properties struct {
		DueOn        string   `json:"due_on"`
		Overdue      bool     `json:"overdue"`
		OverdueDays  int      `json:"overdue_days"`
		DaysLeft     int      `json:"days_left"`
		LastPatrolAt *string  `json:"last_patrol_at"`
		DistanceM    *float64 `json:"distance_m"`
	}
}

func (e patrolEnv) due(user, query string) []dueItem {
	e.t.Helper()
	var out struct{ Features []dueItem }
	if res := e.do("GET", "/api/v1/patrols/due"+query, user, nil, &out); res.StatusCode != 200 {
		e.t.Fatalf("due%s: %d %s", query, res.StatusCode, res.Body)
	}
	return out.Features
}

func findDue(items []dueItem, id int64) (dueItem, bool) {
	for _, it := range items {
		if it.ID == id {
			return it, true
		}
	}
	return dueItem{}, false
}

func TestDueDatesAndOverdueTurnAtMidnightInShanghai(t *testing.T) {
	e := newPatrolEnv(t)
	// the due lists are kept between changes, as a server keeps them
	lctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	cfg := e.pool.Config().ConnConfig
	go e.patrols.Listen(lctx, func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfg.Copy()) })
	for deadline := time.Now().Add(10 * time.Second); !e.patrols.Live(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the due lists never went live")
		}
	}
	rp := e.point(115.25, 23.0, 1, "flood") // red: every 7 days
	// added on 1 March 2024 (10:00 in Shanghai), never patrolled: due that day
	if _, err := e.pool.Exec(context.Background(), "UPDATE risk_points SET created_at = $2, last_inspection = NULL WHERE id = $1",
		rp, time.Date(2024, 3, 1, 10, 0, 0, 0, cst)); err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	check := func(clock, wantDue string, wantOverdue bool, wantDays int) {
		t.Helper()
		e.clock.Set(at(clock))
		it, ok := findDue(e.due("worker1", "?days=30"), rp)
		if !ok {
			t.Fatalf("at %s the point is not on the due list", clock)
		}
		if it.Properties.DueOn != wantDue || it.Properties.Overdue != wantOverdue || it.Properties.OverdueDays != wantDays {
			t.Fatalf("at %s: due %s overdue %v by %d; want %s %v %d", clock, it.Properties.DueOn, it.Properties.Overdue,
				it.Properties.OverdueDays, wantDue, wantOverdue, wantDays)
		}
		_, listed := findDue(e.due("worker1", "?overdue=true"), rp)
		if listed != wantOverdue {
			t.Fatalf("at %s: on the overdue list %v, want %v", clock, listed, wantOverdue)
		}
	}
	check("2024-03-01T23:59:59+08:00", "2024-03-01", false, 0)
	check("2024-03-02T00:00:00+08:00", "2024-03-01", true, 1) // 16:00 UTC the day before
	check("2024-03-02T08:00:00+08:00", "2024-03-01", true, 1)

	// patrolled late on 2 March (23:30 in Shanghai, 15:30 UTC): due 7 days later
	e.clock.Set(at("2024-03-02T23:40:00+08:00"))
	res := e.send("worker1", patrolOf("77777777-8a3e-4d0e-9b7a-2f5e1c9d4a10", rp, 115.2501, 23.0, at("2024-03-02T23:30:00+08:00")), pngBytes(t, 1))
	if res.StatusCode != 201 {
		t.Fatalf("patrol: %d %s", res.StatusCode, res.Body)
	}
	r := decodePatrol(t, res)
	if r.Properties.PatrolDay != "2024-03-02" || r.Properties.DueOn != "2024-03-01" || r.Properties.OnTime {
		t.Fatalf("the patrol answered: day %s, due %s, on time %v", r.Properties.PatrolDay, r.Properties.DueOn, r.Properties.OnTime)
	}
	check("2024-03-03T00:00:00+08:00", "2024-03-09", false, 0)
	check("2024-03-09T23:59:59+08:00", "2024-03-09", false, 0)
	check("2024-03-10T00:00:00+08:00", "2024-03-09", true, 1)
	check("2024-03-12T09:00:00+08:00", "2024-03-09", true, 3)

	// the risk point's last inspection is the patrol's day, and nobody else sets it
	var lastInspection string
	if err := e.pool.QueryRow(context.Background(), "SELECT last_inspection::text FROM risk_points WHERE id = $1", rp).Scan(&lastInspection); err != nil || lastInspection != "2024-03-02" {
		t.Fatalf("last_inspection %q (%v), want the patrol's day", lastInspection, err)
	}
	res = e.do("PATCH", fmt.Sprintf("/api/v1/risk_points/%d", rp), "xingang", `{"type":"Feature","properties":{"last_inspection":"2024-01-01"}}`, nil)
	if res.StatusCode != 422 || !strings.Contains(string(res.Body), "properties.last_inspection") {
		t.Fatalf("a typed last_inspection after a patrol: %d %s", res.StatusCode, res.Body)
	}

	// a longer interval for red, written by another writer (psql): the due
	// date moves once its notification is heard (the kept list goes)
	e.clock.Set(at("2024-03-12T09:00:00+08:00"))
	e.due("worker1", "?days=30")
	if _, err := e.pool.Exec(context.Background(), "UPDATE patrol_intervals SET days = 10 WHERE risk_level = 1"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if it, _ := findDue(e.due("worker1", "?days=30"), rp); it.Properties.DueOn == "2024-03-12" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the kept due list was not dropped by the change of interval")
		}
	}
	check("2024-03-12T09:00:00+08:00", "2024-03-12", false, 0)
	check("2024-03-13T00:00:00+08:00", "2024-03-12", true, 1)

	// the answer is kept with its ETag: asked with it, 304; an edit by
	// another writer (psql) gives a new answer once its notification is
	// heard, never the kept one
	const path = "/api/v1/patrols/due?days=30"
	first := e.do("GET", path, "worker1", nil, nil)
	tag := first.Header.Get("ETag")
	if first.StatusCode != 200 || tag == "" || first.Header.Get("X-Riskmap-Today") != "2024-03-13" {
		t.Fatalf("due list: %d, ETag %q, today %q", first.StatusCode, tag, first.Header.Get("X-Riskmap-Today"))
	}
	if again := e.do("GET", path, "worker1", nil, nil, "If-None-Match", tag); again.StatusCode != 304 {
		t.Fatalf("asked again with its ETag: %d", again.StatusCode)
	}
	if _, err := e.pool.Exec(context.Background(), "UPDATE risk_points SET name = '改过名的巡查点' WHERE id = $1", rp); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res := e.do("GET", path, "worker1", nil, nil, "If-None-Match", tag)
		if res.StatusCode == 200 && strings.Contains(string(res.Body), "改过名的巡查点") && res.Header.Get("ETag") != tag {
			break
		}
		if res.StatusCode != 304 || time.Now().After(deadline) {
			t.Fatalf("after an edit by another writer: %d %.300s", res.StatusCode, res.Body)
		}
	}
}

func TestTheDueListIsTheWorkersGridsNearestFirst(t *testing.T) {
	e := newPatrolEnv(t)
	a := e.point(115.20, 23.0, 1, "flood")
	b := e.point(115.30, 23.0, 1, "flood")
	c := e.point(115.75, 23.0, 1, "flood") // grid 002
	items := e.due("worker1", "?near=115.31,23.0")
	if len(items) != 2 || items[0].ID != b || items[1].ID != a {
		t.Fatalf("worker1's due list near b: %+v", items)
	}
	if d := items[0].Properties.DistanceM; d == nil || *d > 1100 {
		t.Fatalf("distance to b: %v", d)
	}
	if _, ok := findDue(e.due("xingang", ""), c); !ok {
		t.Fatal("the township's due list lacks a point of its grid 002")
	}
	if _, ok := findDue(e.due("worker1", "?area=441502001001002"), c); ok {
		t.Fatal("a worker sees a point outside their grids by naming its grid")
	}
}

// The patrol figures of township rows come from the daily counters
// (migration 633), those of grid rows from the patrols themselves: they
// agree, a late patrol included, and a late patrol made after a period's
// end is no patrol of that period (its due date stays overdue).
func TestPatrolFiguresFromTheCountersAgreeWithThePatrols(t *testing.T) {
	e := newPatrolEnv(t)
	ctx := context.Background()
	rp := e.point(115.25, 23.0, 1, "flood") // red: every 7 days
	if _, err := e.pool.Exec(ctx, "UPDATE risk_points SET created_at = $2, last_inspection = NULL WHERE id = $1",
		rp, time.Date(2024, 3, 1, 10, 0, 0, 0, cst)); err != nil {
		t.Fatal(err)
	}
	patrol := func(id string, at time.Time) {
		t.Helper()
		e.clock.Set(at.Add(time.Hour))
		if res := e.send("worker1", patrolOf(id, rp, 115.2501, 23.0, at), pngBytes(t, 1)); res.StatusCode != 201 {
			t.Fatalf("patrol: %d %s", res.StatusCode, res.Body)
		}
	}
	patrol("5a1d3a52-8a3e-4d0e-9b7a-2f5e1c9d4a01", time.Date(2024, 3, 5, 9, 0, 0, 0, cst))  // due 1 March: late
	patrol("5a1d3a52-8a3e-4d0e-9b7a-2f5e1c9d4a02", time.Date(2024, 3, 12, 9, 0, 0, 0, cst)) // due 12 March: on time
	e.clock.Set(time.Date(2024, 4, 1, 10, 0, 0, 0, cst))                                    // due 19 March: open
	admin := &riskmap.User{ID: 1, Role: riskmap.RoleAdmin}
	for _, c := range []struct {
		from, to time.Time
		want     patrols.Figures
	}{
		{time.Date(2024, 3, 1, 0, 0, 0, 0, cst), time.Date(2024, 3, 4, 0, 0, 0, 0, cst), patrols.Figures{Due: 1, Overdue: 1}},
		{time.Date(2024, 3, 1, 0, 0, 0, 0, cst), time.Date(2024, 3, 31, 0, 0, 0, 0, cst),
			patrols.Figures{Due: 3, OnTime: 1, Late: 1, Overdue: 1, Patrols: 2}},
		{time.Date(2024, 3, 5, 0, 0, 0, 0, cst), time.Date(2024, 3, 12, 0, 0, 0, 0, cst), patrols.Figures{Due: 1, OnTime: 1, Patrols: 2}},
	} {
		sum := func(unit string) patrols.Figures {
			t.Helper()
			figs, err := e.patrols.Figures(ctx, admin, patrols.FiguresQuery{Unit: unit, From: c.from, To: c.to})
			if err != nil {
				t.Fatal(err)
			}
			var all patrols.Figures
			for _, f := range figs {
				all.Add(f)
			}
			return all
		}
		counted, scanned := sum("township_code"), sum("grid_code")
		if counted != c.want || scanned != c.want {
			t.Errorf("%s..%s: township rows (counters) %+v, grid rows (patrols) %+v, want %+v",
				c.from.Format("01-02"), c.to.Format("01-02"), counted, scanned, c.want)
		}
	}
}
