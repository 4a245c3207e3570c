package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"strings"
	"testing"
	"time"

	"riskmap/inspections"
)

// inspectionEnv is the API fixture with two enterprises in 新港 and one in
// 海丰, and a second officer for 新港 besides xingang.
type inspectionEnv struct {
	patrolEnv
	xingang, xingang2, city, worker  int64
	inXingang, inXingang2, inHaifeng int64
	// the Shanghai date the fixture was made on, read once: a test that
	// read the clock twice would see two days across midnight
	day string
}

func newInspectionEnv(t *testing.T) inspectionEnv {
	e := inspectionEnv{patrolEnv: newPatrolEnv(t), day: time.Now().In(cst).Format("2006-01-02")}
	id := func(user string) int64 {
		var me struct{ ID int64 }
		e.do("GET", "/api/v1/auth/me", user, nil, &me)
		return me.ID
	}
	e.xingang, e.city, e.worker = id("xingang"), id("city"), id("worker1")
	var u struct{ ID int64 }
	if res := e.do("POST", "/api/v1/users", "admin", map[string]any{"username": "xingang2", "display_name": "李四", "role": "township",
		"areas": []string{"441502001000"}, "password": "xingang2-pass-1"}, &u); res.StatusCode != 201 {
		t.Fatalf("second officer: %d %s", res.StatusCode, res.Body)
	}
	e.xingang2 = u.ID
	enterprise := func(lon, lat float64, name string) int64 {
		var f feature
		if res := e.do("POST", "/api/v1/hazard_sources", "admin", pointFeature(lon, lat, map[string]any{"name": name, "category": "other"}), &f); res.StatusCode != 201 {
			t.Fatalf("enterprise: %d %s", res.StatusCode, res.Body)
		}
		return f.ID
	}
	e.inXingang = enterprise(115.30, 23.1, "新港五金厂")
	e.inXingang2 = enterprise(115.70, 23.1, "新港塑料厂")
	e.inHaifeng = enterprise(116.75, 23.1, "海丰陶瓷厂")
	return e
}

// today is the fixture's date: never after the server's today, so an
// inspection dated on it is accepted even after midnight.
func (e inspectionEnv) today() string { return e.day }

func (e inspectionEnv) inspection(hazard int64, inspectors []int64, extra string) string {
	ids, _ := json.Marshal(inspectors)
	return fmt.Sprintf(`{"hazard_source_id":%d,"inspected_on":"%s","kind":"routine","inspectors":%s%s}`, hazard, e.today(), ids, extra)
}

func (e inspectionEnv) inspectionRows() string {
	e.t.Helper()
	var out strings.Builder
	for _, tbl := range []string{"inspections", "inspection_inspectors", "inspection_replies", "cases", "case_events"} {
		fmt.Fprintf(&out, "%s=%d;", tbl, e.count("SELECT count(*) FROM "+tbl))
	}
	return out.String()
}

func TestAnInspectionNeedsTwoOfficersOfItsAreaAndRefusedOnesLeaveNothing(t *testing.T) {
	e := newInspectionEnv(t)
	two := []int64{e.xingang, e.xingang2}
	finding := `,"findings":[{"description":"消防通道堵塞"}]`
	cases := []struct {
		name, user, body string
		status           int
		field            string
	}{
		{"one inspector", "xingang", e.inspection(e.inXingang, []int64{e.xingang}, finding), 422, `"inspectors"`},
		{"the same officer twice", "xingang", e.inspection(e.inXingang, []int64{e.xingang, e.xingang}, finding), 422, `"inspectors[1]"`},
		{"a grid worker as inspector", "xingang", e.inspection(e.inXingang, []int64{e.xingang, e.worker}, finding), 422, `"inspectors[1]"`},
		{"no inspectors", "xingang", fmt.Sprintf(`{"hazard_source_id":%d,"inspected_on":"%s","kind":"routine"}`, e.inXingang, e.today()), 422, `"inspectors"`},
		{"an enterprise outside the office's area", "xingang", e.inspection(e.inHaifeng, two, finding), 403, `"hazard_source_id"`},
		{"a finding without a description", "xingang", e.inspection(e.inXingang, two, `,"findings":[{"grade":"major"}]`), 422, `"findings[0].description"`},
		{"a penalty without its decision", "xingang", e.inspection(e.inXingang, two, `,"penalty":{"amount_yuan":5000}`), 422, `"penalty.decision_no"`},
		{"a fine with three decimals", "xingang", e.inspection(e.inXingang, two, `,"penalty":{"decision_no":"汕应急罚〔2021〕1号","amount_yuan":10.005}`), 422, `"penalty.amount_yuan"`},
		{"a date after today", "xingang", strings.Replace(e.inspection(e.inXingang, two, ""), e.today(), time.Now().In(cst).AddDate(0, 0, 2).Format("2006-01-02"), 1), 422, `"inspected_on"`},
		{"a grid worker inspecting", "worker1", e.inspection(e.inXingang, two, ""), 403, ""},
		{"a planner inspecting", "planner", e.inspection(e.inXingang, two, ""), 403, ""},
	}
	before := e.inspectionRows()
	for _, c := range cases {
		res := e.do("POST", "/api/v1/inspections", c.user, c.body, nil)
		if res.StatusCode != c.status || !strings.Contains(string(res.Body), c.field) {
			t.Errorf("%s: %d %s (want %d naming %s)", c.name, res.StatusCode, res.Body, c.status, c.field)
		}
	}
	if after := e.inspectionRows(); after != before {
		t.Errorf("refused inspections left rows: %s -> %s", before, after)
	}
	// however it is written, an inspection never stands with one inspector
	ctx := context.Background()
	tx, err := e.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, sql := range []string{`INSERT INTO inspections (id, hazard_source_id, inspected_on, kind, level, office_code, recorded_by_name)
		VALUES ('0b6f1c52-8a3e-4d0e-9b7a-2f5e1c9d4a10', $1, '2021-05-01', 'routine', 'township', '441502001000', 'psql')`,
		`INSERT INTO inspection_inspectors (inspection_id, position, user_id, name) VALUES ('0b6f1c52-8a3e-4d0e-9b7a-2f5e1c9d4a10', 0, $1, '王五')`} {
		arg := e.inXingang
		if strings.Contains(sql, "inspection_inspectors") {
			arg = e.xingang
		}
		if _, err := tx.Exec(ctx, sql, arg); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err == nil || !strings.Contains(err.Error(), "at least two") {
		t.Fatalf("one inspector written straight into the database: %v", err)
	}
}

func TestAnInspectionOpensItsFindingsAsCasesAndRecordsItsPenalty(t *testing.T) {
	e := newInspectionEnv(t)
	body := `{"id":"1c2d3a52-8a3e-4d0e-9b7a-2f5e1c9d4a10","hazard_source_id":%d,"inspected_on":"%s","kind":"special",
		"inspectors":[%d,%d],"findings":[{"description":"未设置安全警示标志"},{"description":"危化品仓库超量储存","grade":"major","category":"fire"}],
		"penalty":{"decision_no":"汕城应急罚〔2021〕7号","amount_yuan":"35000.50"}}`
	req := fmt.Sprintf(body, e.inXingang, e.today(), e.xingang, e.xingang2)
	first := e.do("POST", "/api/v1/inspections", "xingang", req, nil)
	if first.StatusCode != 201 {
		t.Fatalf("inspection: %d %s", first.StatusCode, first.Body)
	}
	var got struct {
		ID         string
		Geometry   struct{ Coordinates []float64 }
		Properties struct {
			Level      string
			OfficeCode string `json:"office_code"`
			Penalty    struct {
				DecisionNo string  `json:"decision_no"`
				AmountYuan float64 `json:"amount_yuan"`
			}
			Inspectors []struct{ Name string }
		}
		Cases []struct {
			ID         string
			Geometry   struct{ Coordinates []float64 }
			Properties struct {
				InspectionID   *string `json:"inspection_id"`
				HazardSourceID *int64  `json:"hazard_source_id"`
				Grade, State   string
			}
		}
	}
	if err := json.Unmarshal(first.Body, &got); err != nil {
		t.Fatal(err)
	}
	p := got.Properties
	if p.Level != "township" || p.OfficeCode != "441502001000" || p.Penalty.AmountYuan != 35000.5 || len(p.Inspectors) != 2 || p.Inspectors[1].Name != "李四" {
		t.Errorf("inspection: %+v", p)
	}
	if len(got.Cases) != 2 {
		t.Fatalf("cases: %s", first.Body)
	}
	for _, c := range got.Cases {
		if c.Properties.InspectionID == nil || *c.Properties.InspectionID != got.ID || c.Properties.HazardSourceID == nil ||
			*c.Properties.HazardSourceID != e.inXingang || c.Properties.State != "reported" {
			t.Errorf("case %s: %+v", c.ID, c.Properties)
		}
		if fmt.Sprint(c.Geometry.Coordinates) != fmt.Sprint(got.Geometry.Coordinates) {
			t.Errorf("case %s at %v, not at the enterprise %v", c.ID, c.Geometry.Coordinates, got.Geometry.Coordinates)
		}
	}
	if again := e.do("POST", "/api/v1/inspections", "xingang", req, nil); again.StatusCode != 201 || !bytes.Equal(again.Body, first.Body) {
		t.Fatalf("resend: %d, same body %v", again.StatusCode, bytes.Equal(again.Body, first.Body))
	}
	if other := e.do("POST", "/api/v1/inspections", "xingang", strings.Replace(req, "special", "routine", 1), nil); other.StatusCode != 409 {
		t.Fatalf("the same id for another inspection: %d %s", other.StatusCode, other.Body)
	}
	if n := e.count("SELECT count(*) FROM inspections"); n != 1 {
		t.Fatalf("%d inspections", n)
	}
	var one struct{ Cases []any }
	if res := e.do("GET", "/api/v1/inspections/"+got.ID, "chengqu", nil, &one); res.StatusCode != 200 || len(one.Cases) != 2 {
		t.Fatalf("the county reads it: %d %s", res.StatusCode, res.Body)
	}
	// the enterprise lies in worker1's grid: the worker reads the inspection too
	if res := e.do("GET", "/api/v1/inspections/"+got.ID, "worker1", nil, nil); res.StatusCode != 200 {
		t.Fatalf("the worker of the enterprise's grid: %d", res.StatusCode)
	}
}

type plan struct {
	ID    int64
	Seed  int64
	Units []struct {
		HazardSourceID int64   `json:"hazard_source_id"`
		InspectionID   *string `json:"inspection_id"`
	}
	Inspectors []struct {
		UserID int64 `json:"user_id"`
	}
	Candidates struct{ Units, Inspectors int }
	Progress   struct{ Planned, Done int }
}

func TestADrawIsReproducibleFromItsSeedAndShowsItsProgress(t *testing.T) {
	e := newInspectionEnv(t)
	// more enterprises in 新港 to draw from
	for i := 0; i < 8; i++ {
		var f feature
		if res := e.do("POST", "/api/v1/hazard_sources", "admin", pointFeature(115.1+0.05*float64(i), 22.8, map[string]any{"name": fmt.Sprintf("企业%d", i), "category": "other"}), &f); res.StatusCode != 201 {
			t.Fatal(res.StatusCode)
		}
	}
	draw := func(seed int64, units int) (response, plan) {
		var p plan
		res := e.do("POST", "/api/v1/inspection-plans", "xingang",
			fmt.Sprintf(`{"area":"441502001000","from":"%s","to":"%s","units":%d,"inspectors":2,"seed":%d}`, e.today(), e.today(), units, seed), &p)
		return res, p
	}
	res, a := draw(20210315, 4)
	if res.StatusCode != 201 {
		t.Fatalf("draw: %d %s", res.StatusCode, res.Body)
	}
	_, b := draw(20210315, 4)
	_, c := draw(20210316, 4)
	if a.Candidates.Units != 10 || a.Candidates.Inspectors != 2 || len(a.Units) != 4 || len(a.Inspectors) != 2 || a.Progress.Planned != 4 || a.Progress.Done != 0 {
		t.Fatalf("plan: %+v", a)
	}
	if fmt.Sprint(a.Units, a.Inspectors) != fmt.Sprint(b.Units, b.Inspectors) {
		t.Fatalf("the same seed drew %v and %v", a.Units, b.Units)
	}
	if fmt.Sprint(a.Units) == fmt.Sprint(c.Units) {
		t.Fatalf("seeds 20210315 and 20210316 drew the same units %v", a.Units)
	}
	for _, id := range []int64{a.ID, b.ID, c.ID} {
		if ok, err := e.replay(id); err != nil || !ok {
			t.Fatalf("plan %d does not replay from its seed: %v", id, err)
		}
	}
	res, _ = draw(1, 11)
	if res.StatusCode != 422 || !strings.Contains(string(res.Body), "registry holds 10") {
		t.Fatalf("more units than the registry holds: %d %s", res.StatusCode, res.Body)
	}
	// the first unit is inspected: the plan shows it
	unit := a.Units[0].HazardSourceID
	body := fmt.Sprintf(`{"hazard_source_id":%d,"inspected_on":"%s","plan_id":%d,"inspectors":[%d,%d]}`, unit, e.today(), a.ID, e.xingang, e.xingang2)
	if res := e.do("POST", "/api/v1/inspections", "xingang", body, nil); res.StatusCode != 201 {
		t.Fatalf("planned inspection: %d %s", res.StatusCode, res.Body)
	}
	var after plan
	e.do("GET", fmt.Sprintf("/api/v1/inspection-plans/%d", a.ID), "xingang", nil, &after)
	if after.Progress.Done != 1 || after.Units[0].InspectionID == nil || after.Units[1].InspectionID != nil {
		t.Fatalf("progress after one inspection: %+v", after)
	}
	if res := e.do("POST", "/api/v1/inspections", "xingang", body, nil); res.StatusCode != 409 {
		t.Fatalf("a planned unit inspected twice: %d %s", res.StatusCode, res.Body)
	}
	if res := e.do("GET", fmt.Sprintf("/api/v1/inspection-plans/%d", a.ID), "worker1", nil, nil); res.StatusCode != 403 {
		t.Fatalf("a worker reads a plan: %d", res.StatusCode)
	}
}

// replay draws a stored plan again from its seed.
func (e inspectionEnv) replay(id int64) (bool, error) {
	return inspections.NewStore(e.pool, nil, nil, inspections.Config{}).Replay(context.Background(), id)
}

func TestTheParagraphReadsLikeTheAnnualReport(t *testing.T) {
	r := inspections.StatsRow{Enterprises: 585, Inspections: 1698, Found: 2304, ToRectify: 2287, Rectified: 2255, Penalties: 79, Fines: 601980000,
		Own: inspections.Share{Enterprises: 89, Inspections: 145, Penalties: 32, Fines: 421860000}}
	const want = "监督检查各类生产经营单位585家，监督检查生产经营单位1698次，发现隐患2304处，应整改隐患2287处，已整改隐患2255处，整改率为98.6%，" +
		"实施行政处罚79次，罚款601.98万元。其中，市局检查各类生产经营单位89家、145次，实施行政处罚32次，罚款421.86万元。"
	if got := inspections.Sentence(r, "市局"); got != want {
		t.Fatalf("\n got %s\nwant %s", got, want)
	}
	for fen, wan := range map[inspections.Fen]string{0: "0.00", 4999: "0.00", 5000: "0.01", 601975000: "601.98", 601984999: "601.98"} {
		if got := fen.Wan(); got != wan {
			t.Errorf("%d fen: %s万元, want %s", fen, got, wan)
		}
	}
}

func TestInspectionStatisticsCountInspectionsCasesAndTheOwnLevel(t *testing.T) {
	e := newInspectionEnv(t)
	chengqu := func() int64 {
		var me struct{ ID int64 }
		e.do("GET", "/api/v1/auth/me", "chengqu", nil, &me)
		return me.ID
	}()
	var u struct{ ID int64 }
	e.do("POST", "/api/v1/users", "admin", map[string]any{"username": "chengqu2", "role": "county", "areas": []string{"441502000000"}, "password": "chengqu2-pass-1"}, &u)
	post := func(user, body string) {
		t.Helper()
		if res := e.do("POST", "/api/v1/inspections", user, body, nil); res.StatusCode != 201 {
			t.Fatalf("%s: %d %s", body, res.StatusCode, res.Body)
		}
	}
	// the township twice at one enterprise (one hazard, fined), the county once at another (two hazards, fined)
	post("xingang", e.inspection(e.inXingang, []int64{e.xingang, e.xingang2}, `,"findings":[{"description":"灭火器过期"}],"penalty":{"decision_no":"A1","amount_yuan":20000}`))
	post("xingang", e.inspection(e.inXingang, []int64{e.xingang, e.xingang2}, ""))
	post("chengqu", e.inspection(e.inXingang2, []int64{chengqu, u.ID}, `,"findings":[{"description":"a"},{"description":"b"}],"penalty":{"decision_no":"B1","amount_yuan":12345.67}`))
	var st inspections.Stats
	if res := e.do("GET", "/api/v1/stats/inspections?area=441502000000&group_by=township", "chengqu", nil, &st); res.StatusCode != 200 {
		t.Fatalf("stats: %d %s", res.StatusCode, res.Body)
	}
	tot := st.Total
	if tot.Enterprises != 2 || tot.Inspections != 3 || tot.Found != 3 || tot.Penalties != 2 || tot.Fines != 3234567 ||
		tot.Own.Enterprises != 1 || tot.Own.Inspections != 1 || tot.Own.Penalties != 1 || tot.Own.Fines != 1234567 || st.OwnName != "区局" {
		t.Fatalf("total: %+v (own %s)", tot, st.OwnName)
	}
	want := "监督检查各类生产经营单位2家，监督检查生产经营单位3次，发现隐患3处，应整改隐患0处，已整改隐患0处，实施行政处罚2次，罚款3.23万元。" +
		"其中，区局检查各类生产经营单位1家、1次，实施行政处罚1次，罚款1.23万元。"
	if st.Sentence != want {
		t.Fatalf("sentence:\n got %s\nwant %s", st.Sentence, want)
	}
	// the rectification statistics count the same three cases among all
	var rect struct{ Total struct{ Found int } }
	e.do("GET", "/api/v1/stats/rectification?area=441502000000", "chengqu", nil, &rect)
	if rect.Total.Found != 3 {
		t.Fatalf("rectification found %d", rect.Total.Found)
	}
	for _, f := range []string{"csv", "xlsx"} {
		res := e.do("GET", "/api/v1/stats/inspections?area=441502000000&format="+f, "chengqu", nil, nil)
		if res.StatusCode != 200 || len(res.Body) < 100 {
			t.Fatalf("%s: %d %d bytes", f, res.StatusCode, len(res.Body))
		}
		if f == "csv" && !strings.HasPrefix(string(res.Body), "\ufeffarea_code,area_name,worker,enterprises,inspections") {
			t.Fatalf("csv: %s", res.Body)
		}
		// named in Chinese like the other statistics' files
		if _, p, err := mime.ParseMediaType(res.Header.Get("Content-Disposition")); err != nil || !strings.HasPrefix(p["filename"], "监督检查统计_") ||
			!strings.HasSuffix(p["filename"], "至"+st.To+"."+f) {
			t.Errorf("%s file name: %q (%v)", f, res.Header.Get("Content-Disposition"), err)
		}
	}
}
