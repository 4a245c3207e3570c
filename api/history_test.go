package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"
)

type historyVersion struct {
	Version *int   `json:"version"`
	Action  string `json:"action"`
	Actor   struct {
		ID   *int64 `json:"id"`
		Name string `json:"name"`
	} `json:"actor"`
	Via         *string `json:"via"`
	ImportJobID *int64  `json:"import_job_id"`
	Proposal    *struct {
		ID         int64 `json:"id"`
		ProposedBy struct {
			Name string `json:"name"`
		} `json:"proposed_by"`
	} `json:"proposal"`
	Changes []struct {
		Field  string          `json:"field"`
		Before json.RawMessage `json:"before"`
		After  json.RawMessage `json:"after"`
	} `json:"changes"`
	GeometryChanged bool            `json:"geometry_changed"`
	GeometryBefore  json.RawMessage `json:"geometry_before"`
	GeometryAfter   json.RawMessage `json:"geometry_after"`
}

func (e *env) history(user, layer string, id int64) (int, []historyVersion) {
	e.t.Helper()
	var out struct {
		Versions []historyVersion `json:"versions"`
	}
	res := e.do("GET", fmt.Sprintf("/api/v1/%s/%d/history", layer, id), user, nil, &out)
	return res.StatusCode, out.Versions
}

func via(v historyVersion) string {
	if v.Via == nil {
		return "<nil>"
	}
	return *v.Via
}

// Every way a feature can change shows in its history with who and how:
// an API client, the web app, an import job (row by row and in bulk), and
// psql/QGIS straight in the database; a move keeps the old position.
func TestHistoryAttributesEveryWritePath(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var f feature
	props := riskProps()
	props["external_id"] = "H-1"
	if res := e.do("POST", "/api/v1/risk_points", "xingang", pointFeature(115.2, 23.0, props), &f); res.StatusCode != 201 {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	// the web app names itself; it moves the point and raises its level
	res := e.do("PATCH", fmt.Sprintf("/api/v1/risk_points/%d", f.ID), "xingang",
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[115.3,23.1]},"properties":{"risk_level":1}}`, nil,
		"X-Riskmap-Client", "web/1", "If-Match", `"1"`)
	if res.StatusCode != 200 {
		t.Fatalf("patch: %d %s", res.StatusCode, res.Body)
	}
	// psql, as QGIS would write
	if _, err := e.pool.Exec(ctx, "UPDATE risk_points SET address = '人民路1号' WHERE id = $1", f.ID); err != nil {
		t.Fatal(err)
	}
	// an import of the same external id changes its name
	csv := "编号,名称,类别,风险等级,经度,纬度\nH-1,导入改名,flood,1,115.3,23.1\n"
	code, job := e.upload("admin", "h.csv", []byte(csv), map[string]string{"layer": "risk_points"})
	if code != 202 {
		t.Fatalf("upload: %d %v", code, job)
	}
	if job = e.waitImport(job["id"]); job["status"] != "done" || job["updated"] != float64(1) {
		t.Fatalf("import: %v", job)
	}
	// and a bulk load (one transaction, statement-level audit) renames it again
	csv = "编号,名称,类别,风险等级,经度,纬度\nH-1,批量改名,flood,1,115.3,23.1\n"
	code, bulk := e.upload("admin", "bulk.csv", []byte(csv), map[string]string{"layer": "risk_points", "bulk": "on"})
	if code != 202 {
		t.Fatalf("bulk upload: %d %v", code, bulk)
	}
	if bulk = e.waitImport(bulk["id"]); bulk["status"] != "done" || bulk["updated"] != float64(1) {
		t.Fatalf("bulk import: %v", bulk)
	}
	code, vs := e.history("xingang", "risk_points", f.ID)
	if code != 200 || len(vs) != 5 {
		t.Fatalf("history: %d %+v", code, vs)
	}
	want := []struct{ action, via, actor string }{
		{"insert", "api", "xingang"},
		{"update", "app", "xingang"},
		{"update", "sql", "db:"},
		{"update", "import", "admin"},
		{"update", "import", "admin"},
	}
	for i, w := range want {
		v := vs[i]
		if v.Action != w.action || via(v) != w.via || len(v.Actor.Name) < len(w.actor) || v.Actor.Name[:len(w.actor)] != w.actor {
			t.Errorf("version %d: %s via %s by %s, want %+v", i, v.Action, via(v), v.Actor.Name, w)
		}
		if v.Version == nil || *v.Version != i+1 {
			t.Errorf("version %d: numbered %v", i, v.Version)
		}
	}
	if vs[3].ImportJobID == nil || fmt.Sprint(*vs[3].ImportJobID) != fmt.Sprint(job["id"]) {
		t.Errorf("import version names job %v, want %v", vs[3].ImportJobID, job["id"])
	}
	if vs[4].ImportJobID == nil || fmt.Sprint(*vs[4].ImportJobID) != fmt.Sprint(bulk["id"]) || len(vs[4].Changes) != 1 || vs[4].Changes[0].Field != "name" {
		t.Errorf("bulk import version %+v, want job %v renaming", vs[4], bulk["id"])
	}
	// the move: old and new position, and the level change listed
	m := vs[1]
	if !m.GeometryChanged || string(m.GeometryBefore) == "null" {
		t.Fatalf("move: %+v", m)
	}
	var before struct{ Coordinates []float64 }
	_ = json.Unmarshal(m.GeometryBefore, &before)
	if len(before.Coordinates) != 2 || before.Coordinates[0] != 115.2 || before.Coordinates[1] != 23.0 {
		t.Errorf("old position %s", m.GeometryBefore)
	}
	fields := map[string]string{}
	for _, c := range m.Changes {
		fields[c.Field] = string(c.Before) + "→" + string(c.After)
	}
	if fields["risk_level"] != "2→1" {
		t.Errorf("changes %v", fields)
	}
	if vs[2].GeometryChanged || len(vs[2].Changes) != 1 || vs[2].Changes[0].Field != "address" {
		t.Errorf("sql version %+v", vs[2])
	}
	// out of scope it does not exist; after deletion the history remains
	if code, _ := e.history("worker1", "risk_points", f.ID); code != 404 {
		// worker1's grid 001 holds 115.2 but the point moved to 115.3 (grid 001 too)
		if code != 200 {
			t.Errorf("worker1: %d", code)
		}
	}
	if code, _ := e.history("chengqu", "risk_points", f.ID); code != 200 {
		t.Errorf("county: %d", code)
	}
	var other feature
	e.do("POST", "/api/v1/risk_points", "admin", pointFeature(116.7, 23.0, riskProps()), &other)
	if code, _ := e.history("xingang", "risk_points", other.ID); code != 404 {
		t.Errorf("out of scope history: %d, want 404", code)
	}
	if res := e.do("DELETE", fmt.Sprintf("/api/v1/risk_points/%d", f.ID), "xingang", nil, nil); res.StatusCode != 204 {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	code, vs = e.history("xingang", "risk_points", f.ID)
	if code != 200 || len(vs) != 6 || vs[5].Action != "delete" || string(vs[5].GeometryBefore) == "null" {
		t.Fatalf("after delete: %d %+v", code, vs)
	}
	if code, _ := e.history("xingang", "risk_points", 999999); code != 404 {
		t.Errorf("unknown: %d", code)
	}
}

// The layer as it stood at a time is the audit log replayed up to then:
// the test replays the log itself, row by row, and compares with as_of at
// times between a series of writes.
func TestAsOfEqualsTheLayerReplayedFromTheAuditLog(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := func() time.Time {
		var t0 time.Time
		if err := e.pool.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&t0); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		return t0
	}
	var times []time.Time
	ids := []int64{}
	for i, c := range [][2]float64{{115.2, 23.0}, {115.7, 23.1}, {116.2, 23.2}} {
		var f feature
		p := riskProps()
		p["name"] = fmt.Sprintf("点%d", i)
		if res := e.do("POST", "/api/v1/risk_points", "admin", pointFeature(c[0], c[1], p), &f); res.StatusCode != 201 {
			t.Fatal(res.StatusCode)
		}
		ids = append(ids, f.ID)
	}
	times = append(times, now())
	e.do("PATCH", fmt.Sprintf("/api/v1/risk_points/%d", ids[0]), "admin", `{"geometry":{"type":"Point","coordinates":[115.4,23.3]},"properties":{"risk_level":1}}`, nil)
	times = append(times, now())
	if _, err := e.pool.Exec(ctx, "UPDATE risk_points SET name = 'SQL改名' WHERE id = $1", ids[1]); err != nil {
		t.Fatal(err)
	}
	e.do("DELETE", fmt.Sprintf("/api/v1/risk_points/%d", ids[2]), "admin", nil, nil)
	times = append(times, now())
	var f4 feature
	e.do("POST", "/api/v1/risk_points", "admin", pointFeature(115.8, 22.9, riskProps()), &f4)
	times = append(times, now())

	// replay: every logged row state in order, up to t
	type entry struct {
		at     time.Time
		row    string
		action string
		after  []byte
	}
	rows, err := e.pool.Query(ctx, "SELECT at, row_id, action, after FROM audit_log WHERE tbl = 'risk_points' ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var log []entry
	for rows.Next() {
		var en entry
		if err := rows.Scan(&en.at, &en.row, &en.action, &en.after); err != nil {
			t.Fatal(err)
		}
		log = append(log, en)
	}
	rows.Close()
	replay := func(at time.Time) map[string]map[string]any {
		state := map[string]map[string]any{}
		for _, en := range log {
			if en.at.After(at) {
				continue
			}
			if en.action == "delete" {
				delete(state, en.row)
				continue
			}
			var doc map[string]any
			_ = json.Unmarshal(en.after, &doc)
			state[en.row] = doc
		}
		return state
	}
	for i, at := range times {
		var fc struct {
			Features []struct {
				ID         int64          `json:"id"`
				Geometry   any            `json:"geometry"`
				Properties map[string]any `json:"properties"`
			} `json:"features"`
		}
		res := e.do("GET", "/api/v1/risk_points?limit=1000&as_of="+at.Format(time.RFC3339Nano), "admin", nil, &fc)
		if res.StatusCode != 200 {
			t.Fatalf("as_of %d: %d %s", i, res.StatusCode, res.Body)
		}
		got := map[string]map[string]any{}
		for _, f := range fc.Features {
			doc := map[string]any{}
			for k, v := range f.Properties {
				doc[k] = v
			}
			doc["geom"] = f.Geometry
			doc["id"] = float64(f.ID)
			got[fmt.Sprint(f.ID)] = doc
		}
		want := replay(at)
		if !reflect.DeepEqual(got, want) {
			keys := func(m map[string]map[string]any) []string {
				out := []string{}
				for k := range m {
					out = append(out, k)
				}
				sort.Strings(out)
				return out
			}
			t.Errorf("as_of #%d: got rows %v, replay %v\n got %v\nwant %v", i, keys(got), keys(want), got, want)
		}
	}
	// the second time: the first point at its old place with its old level
	// is gone, the moved one is there
	var fc struct {
		Features []feature `json:"features"`
	}
	e.do("GET", "/api/v1/risk_points?as_of="+times[0].Format(time.RFC3339Nano), "admin", nil, &fc)
	if len(fc.Features) != 3 {
		t.Fatalf("as_of first: %d features", len(fc.Features))
	}
	// scope applies to the past too: 新港 saw two of the three then
	fc.Features = nil
	e.do("GET", "/api/v1/risk_points?as_of="+times[0].Format(time.RFC3339Nano), "xingang", nil, &fc)
	if len(fc.Features) != 2 {
		t.Errorf("xingang as_of: %d features, want 2", len(fc.Features))
	}
	// before the log begins, and nonsense, are refused
	if res := e.do("GET", "/api/v1/risk_points?as_of=2000-01-01T00:00:00Z", "admin", nil, nil); res.StatusCode != 422 {
		t.Errorf("before history: %d %s", res.StatusCode, res.Body)
	}
	if res := e.do("GET", "/api/v1/risk_points?as_of=yesterday", "admin", nil, nil); res.StatusCode != 400 {
		t.Errorf("bad as_of: %d", res.StatusCode)
	}
}
