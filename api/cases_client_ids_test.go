package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// An assigned case for worker1, at version 3.
func (e *caseEnv) assignedCase() caseDoc {
	e.t.Helper()
	c := e.newCase("worker1", 115.2, 23.0, nil)
	d := e.mustAct("xingang", c.ID, map[string]any{"action": "register", "version": 1})
	return e.mustAct("xingang", c.ID, map[string]any{"action": "assign", "version": d.version(), "assignee": e.ids["worker1"], "deadline": future(7)})
}

func (e *caseEnv) countEvents(id, action string) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), "SELECT count(*) FROM case_events WHERE case_id = $1 AND action = $2", id, action).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestTheSameActionSentTwiceAppliesOnce(t *testing.T) {
	e := newCaseEnv(t)
	d := e.assignedCase()
	start := map[string]any{"action": "start", "version": d.version(), "client_id": "7d0e5b0a-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
		"location": map[string]any{"type": "Point", "coordinates": []float64{115.2001, 23.0001}}}
	first := e.do("POST", "/api/v1/cases/"+d.ID+"/actions", "worker1", start, nil)
	// the answer was lost: the phone sends the same action again
	again := e.do("POST", "/api/v1/cases/"+d.ID+"/actions", "worker1", start, nil)
	if first.StatusCode != 200 || again.StatusCode != 200 || string(again.Body) != string(first.Body) {
		t.Fatalf("first %d %s\nagain %d %s", first.StatusCode, first.Body, again.StatusCode, again.Body)
	}
	if n := e.countEvents(d.ID, "start"); n != 1 {
		t.Fatalf("%d start events, want 1", n)
	}
	got := e.get("worker1", d.ID)
	if got.state() != "rectifying" || got.version() != d.version()+1 {
		t.Fatalf("after two sends: %s v%d", got.state(), got.version())
	}
	var events []map[string]any
	var doc struct {
		Events *[]map[string]any `json:"events"`
	}
	doc.Events = &events
	_ = json.Unmarshal(e.do("GET", "/api/v1/cases/"+d.ID, "worker1", nil, nil).Body, &doc)
	if last := events[len(events)-1]; last["client_id"] != "7d0e5b0a-1c2d-4e5f-8a9b-0c1d2e3f4a5b" {
		t.Errorf("the start event keeps its client id: %v", last)
	}

	// later, after the case moved on, a resend still gets the first reply
	photo := e.photo("worker1", d.ID)
	e.mustAct("worker1", d.ID, map[string]any{"action": "submit", "version": got.version(), "attachments": []string{photo}})
	late := e.do("POST", "/api/v1/cases/"+d.ID+"/actions", "worker1", start, nil)
	if late.StatusCode != 200 || string(late.Body) != string(first.Body) {
		t.Errorf("late resend: %d %s", late.StatusCode, late.Body)
	}
	if n := e.countEvents(d.ID, "start"); n != 1 {
		t.Errorf("%d start events after a late resend, want 1", n)
	}

	// the same id for another action, another case or from another user is a conflict
	other := e.assignedCase()
	for _, c := range []struct {
		name, user, id string
		body           map[string]any
	}{
		{"other content", "worker1", d.ID, map[string]any{"action": "start", "version": d.version(), "client_id": start["client_id"], "note": "另一条"}},
		{"other case", "worker1", other.ID, map[string]any{"action": "start", "version": other.version(), "client_id": start["client_id"]}},
		{"other user", "xingang", d.ID, map[string]any{"action": "extend", "version": 5, "client_id": start["client_id"], "deadline": future(9), "reason": "x"}},
	} {
		var er errBody
		res := e.do("POST", "/api/v1/cases/"+c.id+"/actions", c.user, c.body, &er)
		if res.StatusCode != 409 || !strings.Contains(er.Error.Message, "client_id") || len(er.Error.Details) == 0 || er.Error.Details[0].Field != "client_id" {
			t.Errorf("%s: %d %s", c.name, res.StatusCode, res.Body)
		}
	}
	if got := e.get("worker1", other.ID); got.state() != "assigned" {
		t.Errorf("the other case moved: %s", got.state())
	}
	// a client id must be a UUID
	var er errBody
	if res := e.do("POST", "/api/v1/cases/"+other.ID+"/actions", "worker1", map[string]any{"action": "start", "version": other.version(), "client_id": "1"}, &er); res.StatusCode != 422 || er.Error.Details[0].Field != "client_id" {
		t.Errorf("bad client id: %d %s", res.StatusCode, res.Body)
	}
	// without a client id a second send is refused as stale, as before
	e.mustAct("worker1", other.ID, map[string]any{"action": "start", "version": other.version()})
	if res, _ := e.act("worker1", other.ID, map[string]any{"action": "start", "version": other.version()}); res.StatusCode != 409 {
		t.Errorf("a second start without a client id: %d %s", res.StatusCode, res.Body)
	}
}

func TestTheSameActionSentConcurrentlyMakesOneEventAndIdenticalReplies(t *testing.T) {
	e := newCaseEnv(t)
	d := e.assignedCase()
	raw, _ := json.Marshal(map[string]any{"action": "start", "version": d.version(), "client_id": "5f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"})
	results := e.sendAtOnce(30, "/api/v1/cases/"+d.ID+"/actions", "worker1", raw)
	for i, r := range results {
		if r.status != 200 || r.body != results[0].body {
			t.Fatalf("reply %d: %d %s\nfirst: %d %s", i, r.status, r.body, results[0].status, results[0].body)
		}
	}
	if c := e.countEvents(d.ID, "start"); c != 1 {
		t.Errorf("%d start events, want 1", c)
	}
}

type sent struct {
	status int
	body   string
}

// sendAtOnce posts raw to path as user n times concurrently.
func (e *caseEnv) sendAtOnce(n int, path, user string, raw []byte) []sent {
	results := make([]sent, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", e.srv.URL+path, bytes.NewReader(raw))
			req.Header.Set("Authorization", "Bearer "+e.token[user])
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				e.t.Error(err)
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			results[i] = sent{res.StatusCode, string(b)}
		}()
	}
	wg.Wait()
	return results
}

func TestTheSameUploadSentTwiceIsStoredOnce(t *testing.T) {
	e := newCaseEnv(t)
	d := e.assignedCase()
	const id = "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f"
	first, a := e.uploadOnce("worker1", d.ID, id, "photo.png", pngBytes(t, 7))
	again, b := e.uploadOnce("worker1", d.ID, id, "photo.png", pngBytes(t, 7))
	if first.StatusCode != 201 || again.StatusCode != 201 || string(first.Body) != string(again.Body) || a["id"] != b["id"] {
		t.Fatalf("first %d %s\nagain %d %s", first.StatusCode, first.Body, again.StatusCode, again.Body)
	}
	var n int
	if err := e.pool.QueryRow(context.Background(), "SELECT count(*) FROM attachments WHERE case_id = $1", d.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d attachments (%v), want 1", n, err)
	}
	// other bytes, another case or another user under the same id: a conflict
	other := e.assignedCase()
	for _, c := range []struct {
		name, user, caseID string
		data               []byte
	}{
		{"other bytes", "worker1", d.ID, pngBytes(t, 8)},
		{"other case", "worker1", other.ID, pngBytes(t, 7)},
		{"other user", "xingang", d.ID, pngBytes(t, 7)},
	} {
		if res, _ := e.uploadOnce(c.user, c.caseID, id, "photo.png", c.data); res.StatusCode != 409 || !strings.Contains(string(res.Body), "client_id") {
			t.Errorf("%s: %d %s", c.name, res.StatusCode, res.Body)
		}
	}
	if res, _ := e.uploadOnce("worker1", d.ID, "not-a-uuid", "photo.png", pngBytes(t, 9)); res.StatusCode != 422 {
		t.Errorf("bad client id: %d %s", res.StatusCode, res.Body)
	}
	// without a client id every upload is a new attachment, as before
	e.photo("worker1", d.ID)
	e.photo("worker1", d.ID)
	if err := e.pool.QueryRow(context.Background(), "SELECT count(*) FROM attachments WHERE case_id = $1", d.ID).Scan(&n); err != nil || n != 3 {
		t.Errorf("%d attachments (%v), want 3", n, err)
	}
}
