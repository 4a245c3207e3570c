package api_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"testing"
)

type proposal struct {
	ID             int64   `json:"id"`
	Kind           string  `json:"kind"`
	State          string  `json:"state"`
	Version        int     `json:"version"`
	TargetID       *int64  `json:"target_id"`
	TargetVersion  *int    `json:"target_version"`
	Stale          bool    `json:"stale"`
	AppliedID      *int64  `json:"applied_id"`
	DecisionNote   *string `json:"decision_note"`
	ProposedByName string  `json:"proposed_by_name"`
	Photos         []struct {
		URL string `json:"url"`
	} `json:"photos"`
}

// propose sends a proposal as multipart with one photo (or as JSON when
// photo is false) and decodes the answer.
func (e *env) propose(user, body string, photo bool) (int, proposal) {
	e.t.Helper()
	var p proposal
	if !photo {
		res := e.do("POST", "/api/v1/proposals", user, body, &p)
		return res.StatusCode, p
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.WriteField("proposal", body)
	fw, _ := mw.CreateFormFile("file", "现场.png")
	_, _ = fw.Write(pngBytes(e.t, 3))
	_ = mw.Close()
	res := e.do("POST", "/api/v1/proposals", user, b.Bytes(), &p, "Content-Type", mw.FormDataContentType())
	return res.StatusCode, p
}

func (e *env) decide(user string, id int64, body string) (int, proposal) {
	e.t.Helper()
	var p proposal
	res := e.do("POST", fmt.Sprintf("/api/v1/proposals/%d/actions", id), user, body, &p)
	return res.StatusCode, p
}

// A worker proposes, the township decides: who may do what, in which
// state, on which version; the approved change is applied at once and its
// history names both.
func TestProposalsScopeAndStateRules(t *testing.T) {
	e := newEnv(t)
	newPoint := `{"id":"5b0c7a52-3c1e-4d6a-9f57-0a1b2c3d4e5f","layer":"risk_points","reason":"新建工地边坡","feature":{"type":"Feature",
		"geometry":{"type":"Point","coordinates":[115.21,23.01]},"properties":{"name":"工地边坡","category":"construction","risk_level":2}}}`
	code, p := e.propose("worker1", newPoint, true)
	if code != 201 || p.State != "pending" || p.Kind != "create" || p.Version != 1 || len(p.Photos) != 1 || p.ProposedByName != "worker1" {
		t.Fatalf("propose: %d %+v", code, p)
	}
	// sent again from the phone: the same proposal, nothing new
	if code, again := e.propose("worker1", newPoint, true); code != 200 || again.ID != p.ID {
		t.Fatalf("again: %d %+v", code, again)
	}
	// outside the worker's grids; not a worker; a field error named where it belongs
	if code, _ := e.propose("worker1", `{"layer":"risk_points","reason":"x","feature":{"type":"Feature","geometry":{"type":"Point","coordinates":[115.7,23.0]},"properties":{"name":"隔壁","category":"fire","risk_level":3}}}`, false); code != 403 {
		t.Errorf("outside own grids: %d", code)
	}
	if code, _ := e.propose("xingang", newPoint, false); code != 403 {
		t.Errorf("an office proposes: %d", code)
	}
	var er struct {
		Error struct {
			Details []struct{ Field string } `json:"details"`
		} `json:"error"`
	}
	res := e.do("POST", "/api/v1/proposals", "worker1", `{"layer":"risk_points","reason":"x","feature":{"type":"Feature","geometry":{"type":"Point","coordinates":[115.2,23.0]},"properties":{"name":"等级错","category":"fire","risk_level":7}}}`, &er)
	if res.StatusCode != 422 || len(er.Error.Details) == 0 || er.Error.Details[0].Field != "feature.properties.risk_level" {
		t.Errorf("bad level: %d %s", res.StatusCode, res.Body)
	}
	if code, _ := e.propose("worker1", `{"layer":"risk_points","feature":{"type":"Feature","geometry":{"type":"Point","coordinates":[115.2,23.0]},"properties":{"name":"无因","category":"fire","risk_level":3}}}`, false); code != 422 {
		t.Errorf("no reason: %d", code)
	}
	// who sees it
	for user, want := range map[string]int{"worker1": 1, "xingang": 1, "chengqu": 1, "planner": 1, "admin": 1, "city": 1} {
		var out struct{ Proposals []proposal }
		e.do("GET", "/api/v1/proposals?state=pending", user, nil, &out)
		if len(out.Proposals) != want {
			t.Errorf("%s sees %d pending", user, len(out.Proposals))
		}
	}
	var out struct{ Proposals []proposal }
	e.do("GET", "/api/v1/proposals?area=441521000000", "admin", nil, &out)
	if len(out.Proposals) != 0 {
		t.Errorf("海丰 has %d", len(out.Proposals))
	}
	if res := e.do("GET", p.Photos[0].URL, "xingang", nil, nil); res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" {
		t.Errorf("photo: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	// who decides, on which version
	if code, _ := e.decide("worker1", p.ID, `{"action":"approve","version":1}`); code != 403 {
		t.Errorf("worker approves: %d", code)
	}
	if code, _ := e.decide("planner", p.ID, `{"action":"approve","version":1}`); code != 403 {
		t.Errorf("planner approves: %d", code)
	}
	if code, _ := e.decide("xingang", p.ID, `{"action":"reject","version":1}`); code != 422 {
		t.Errorf("reject without reason: %d", code)
	}
	if code, _ := e.decide("xingang", p.ID, `{"action":"approve","version":7}`); code != 409 {
		t.Errorf("stale version: %d", code)
	}
	code, p = e.decide("xingang", p.ID, `{"action":"approve","version":1,"note":"属实"}`)
	if code != 200 || p.State != "approved" || p.AppliedID == nil || p.Version != 2 {
		t.Fatalf("approve: %d %+v", code, p)
	}
	if code, _ := e.decide("xingang", p.ID, `{"action":"approve","version":2}`); code != 409 {
		t.Errorf("approve twice: %d", code)
	}
	var f feature
	if res := e.do("GET", fmt.Sprintf("/api/v1/risk_points/%d", *p.AppliedID), "worker1", nil, &f); res.StatusCode != 200 || f.Properties["name"] != "工地边坡" {
		t.Fatalf("applied: %d %v", res.StatusCode, f.Properties)
	}
	// attributed to both: the approver acts, the proposal names the worker
	_, vs := e.history("worker1", "risk_points", *p.AppliedID)
	if len(vs) != 1 || via(vs[0]) != "proposal" || vs[0].Actor.Name != "xingang (township)" || vs[0].Proposal == nil ||
		vs[0].Proposal.ID != p.ID || vs[0].Proposal.ProposedBy.Name != "worker1" {
		t.Fatalf("history: %+v", vs)
	}

	// a move proposed, the point changed meanwhile: shown stale, approved
	// only against the version the approver saw
	pt := *p.AppliedID
	code, mv := e.propose("worker1", fmt.Sprintf(`{"layer":"risk_points","target_id":%d,"reason":"位置偏了","feature":{"type":"Feature","geometry":{"type":"Point","coordinates":[115.22,23.02]}}}`, pt), false)
	if code != 201 || mv.Kind != "update" {
		t.Fatalf("move: %d %+v", code, mv)
	}
	e.do("PATCH", fmt.Sprintf("/api/v1/risk_points/%d", pt), "xingang", `{"type":"Feature","properties":{"address":"海滨路"}}`, nil)
	var got proposal
	e.do("GET", fmt.Sprintf("/api/v1/proposals/%d", mv.ID), "xingang", nil, &got)
	if !got.Stale || got.TargetVersion == nil || *got.TargetVersion != 2 {
		t.Fatalf("stale: %+v", got)
	}
	if code, _ := e.decide("xingang", mv.ID, `{"action":"approve","version":1}`); code != 409 {
		t.Errorf("approve a stale proposal blind: %d", code)
	}
	if code, got = e.decide("xingang", mv.ID, `{"action":"approve","version":1,"target_version":2}`); code != 200 || got.State != "approved" {
		t.Fatalf("approve seen: %d %+v", code, got)
	}
	e.do("GET", fmt.Sprintf("/api/v1/risk_points/%d", pt), "xingang", nil, &f)
	if f.Properties["address"] != "海滨路" || f.Properties["version"] != float64(3) {
		t.Errorf("moved point: %v", f.Properties)
	}
	// retiring, rejected with a reason the worker reads; withdrawn by its author only
	code, rt := e.propose("worker1", fmt.Sprintf(`{"layer":"risk_points","target_id":%d,"reason":"已整治"}`, pt), false)
	if code != 201 || rt.Kind != "retire" {
		t.Fatalf("retire: %d %+v", code, rt)
	}
	if code, rt = e.decide("xingang", rt.ID, `{"action":"reject","version":1,"reason":"边坡仍在施工"}`); code != 200 || rt.State != "rejected" {
		t.Fatalf("reject: %d %+v", code, rt)
	}
	e.do("GET", fmt.Sprintf("/api/v1/proposals/%d", rt.ID), "worker1", nil, &got)
	if got.State != "rejected" || got.DecisionNote == nil || *got.DecisionNote != "边坡仍在施工" {
		t.Errorf("the worker reads: %+v", got)
	}
	_, rt2 := e.propose("worker1", fmt.Sprintf(`{"layer":"risk_points","target_id":%d,"reason":"已整治"}`, pt), false)
	if code, _ := e.decide("xingang", rt2.ID, `{"action":"withdraw","version":1}`); code != 403 {
		t.Errorf("withdraw by another: %d", code)
	}
	if code, _ := e.decide("worker1", rt2.ID, `{"action":"withdraw","version":1}`); code != 200 {
		t.Errorf("withdraw: %d", code)
	}
	// approving a retirement retires the point
	_, rt3 := e.propose("worker1", fmt.Sprintf(`{"layer":"risk_points","target_id":%d,"reason":"已拆除"}`, pt), false)
	if code, _ := e.decide("chengqu", rt3.ID, `{"action":"approve","version":1}`); code != 200 {
		t.Fatalf("county approves: %d", code)
	}
	e.do("GET", fmt.Sprintf("/api/v1/risk_points/%d", pt), "xingang", nil, &f)
	if f.Properties["status"] != "retired" {
		t.Errorf("retired: %v", f.Properties)
	}
}
