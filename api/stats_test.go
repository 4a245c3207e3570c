package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"mime"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestRectificationStatisticsAsJSONCSVAndXLSX(t *testing.T) {
	e := newCaseEnv(t)
	// 新港: 3 found, 2 closed in time, 1 overdue; 香洲: 1 found, not yet due
	_, err := e.pool.Exec(context.Background(), `
		INSERT INTO cases (id, state, grade, category, description, reported_at, reporter_name, deadline, closed_at, geom) VALUES
		 (gen_random_uuid(), 'closed', 'general', 'flood', 'x', '2021-03-01 10:00+08', 't', '2021-03-20 00:00+08', '2021-03-10 10:00+08', ST_SetSRID(ST_MakePoint(115.2, 23), 4326)),
		 (gen_random_uuid(), 'closed', 'major', 'flood', 'x', '2021-04-01 10:00+08', 't', '2021-04-20 00:00+08', '2021-04-10 10:00+08', ST_SetSRID(ST_MakePoint(115.7, 23), 4326)),
		 (gen_random_uuid(), 'rectifying', 'general', 'fire', 'x', '2021-05-01 10:00+08', 't', '2021-05-20 00:00+08', NULL, ST_SetSRID(ST_MakePoint(115.2, 23), 4326)),
		 (gen_random_uuid(), 'assigned', 'general', 'fire', 'x', '2021-12-30 10:00+08', 't', '2022-01-20 00:00+08', NULL, ST_SetSRID(ST_MakePoint(116.2, 23), 4326))`)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Rows []struct {
			AreaCode  string   `json:"area_code"`
			AreaName  string   `json:"area_name"`
			Found     int      `json:"found"`
			ToRectify int      `json:"to_rectify"`
			Rectified int      `json:"rectified"`
			Rate      *float64 `json:"rate"`
			Overdue   int      `json:"overdue"`
		}
		Total struct {
			Found, Rectified int
			Rate             *float64
			MajorFound       int `json:"major_found"`
			MajorRectified   int `json:"major_rectified"`
		}
		Sentence string
	}
	q := "/api/v1/stats/rectification?area=441502000000&from=2021-01-01&to=2021-12-31&group_by=township"
	if res := e.do("GET", q, "chengqu", nil, &st); res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, res.Body)
	}
	if len(st.Rows) != 2 || st.Rows[0].AreaCode != "441502001000" || st.Rows[0].Found != 3 || st.Rows[0].ToRectify != 3 ||
		st.Rows[0].Rectified != 2 || st.Rows[0].Overdue != 1 || st.Rows[0].Rate == nil || *st.Rows[0].Rate != 0.667 ||
		st.Rows[1].Found != 1 || st.Rows[1].Rate != nil {
		t.Errorf("rows %+v", st.Rows)
	}
	if st.Total.Found != 4 || st.Total.MajorFound != 1 || st.Total.MajorRectified != 1 || st.Sentence != "发现隐患4处,应整改隐患3处,已整改隐患2处,整改率为66.7%" {
		t.Errorf("total %+v %q", st.Total, st.Sentence)
	}

	res := e.do("GET", q+"&format=csv", "chengqu", nil, nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !bytes.HasPrefix(res.Body, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("csv: %d %s %q", res.StatusCode, res.Header.Get("Content-Type"), res.Body[:min(10, len(res.Body))])
	}
	recs, err := csv.NewReader(bytes.NewReader(res.Body[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || strings.Join(recs[0][:6], ",") != "area_code,area_name,found,to_rectify,rectified,rate" ||
		strings.Join(recs[1][:6], ",") != "441502001000,新港街道,3,3,2,0.667" || recs[3][1] != "合计" || recs[3][2] != "4" {
		t.Errorf("csv %q", recs)
	}

	res = e.do("GET", q+"&format=xlsx", "chengqu", nil, nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("xlsx: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	f, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatalf("open xlsx: %v", err)
	}
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][0] != "城区隐患排查整改统计（2021-01-01至2021-12-31）" {
		t.Errorf("xlsx title %q", rows[0][0])
	}
	if _, p, err := mime.ParseMediaType(res.Header.Get("Content-Disposition")); err != nil || p["filename"] != "隐患排查整改统计_城区_2021-01-01至2021-12-31.xlsx" {
		t.Errorf("xlsx file name: %q (%v)", res.Header.Get("Content-Disposition"), err)
	}
	// without an area: the user's own, by name
	res = e.do("GET", "/api/v1/stats/rectification?from=2021-01-01&to=2021-12-31&format=csv", "xingang", nil, nil)
	if _, p, err := mime.ParseMediaType(res.Header.Get("Content-Disposition")); err != nil || p["filename"] != "隐患排查整改统计_新港街道_2021-01-01至2021-12-31.csv" {
		t.Errorf("csv file name: %q (%v)", res.Header.Get("Content-Disposition"), err)
	}
	if len(rows) < 8 || rows[2][0] != "区划代码" || rows[2][2] != "发现隐患(处)" || rows[3][1] != "新港街道" || rows[3][2] != "3" ||
		rows[3][5] != "66.7%" || rows[5][1] != "合计" || rows[7][0] != "发现隐患4处,应整改隐患3处,已整改隐患2处,整改率为66.7%" {
		t.Errorf("xlsx rows %q", rows)
	}

	for _, c := range []struct {
		user, query string
		status      int
	}{
		{"xingang", "?area=441502002000&from=2021-01-01&to=2021-12-31", 403},
		{"chengqu", "?area=4415&from=2021-01-01", 400},
		{"chengqu", "?from=2021-13-01", 400},
		{"chengqu", "?from=2021-12-01&to=2021-01-01", 400},
		{"chengqu", "?group_by=village", 400},
		{"chengqu", "?format=pdf", 400},
		{"chengqu", "?area=441599000000", 404},
		{"", "?from=2021-01-01", 401},
		{"planner", "?area=441500000000&from=2021-01-01&to=2021-12-31&group_by=county", 200},
	} {
		if res := e.do("GET", "/api/v1/stats/rectification"+c.query, c.user, nil, nil); res.StatusCode != c.status {
			t.Errorf("%s %s: %d, want %d: %s", c.user, c.query, res.StatusCode, c.status, res.Body)
		}
	}
}
