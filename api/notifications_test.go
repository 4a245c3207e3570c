package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"riskmap/cases"
)

// stream opens GET /api/v1/events as user (with Last-Event-ID when last is
// not ""), returning its events and a way to close it.
func (e *caseEnv) stream(user, last string) (<-chan sseEvent, func()) {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+e.token[user])
	if last != "" {
		req.Header.Set("Last-Event-ID", last)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	if res.StatusCode != 200 {
		e.t.Fatalf("events: %d", res.StatusCode)
	}
	ch := make(chan sseEvent, 1000)
	go readSSE(bufio.NewScanner(res.Body), ch)
	// the first comment says the stream is open
	next(e.t, ch, func(ev sseEvent) bool { return ev.typ == "comment" && ev.data == "connected" })
	return ch, func() { cancel(); res.Body.Close() }
}

// next waits for the first event that matches, skipping heartbeats and
// other events.
func next(t *testing.T, ch <-chan sseEvent, match func(sseEvent) bool) sseEvent {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("the stream ended")
			}
			if match(ev) {
				return ev
			}
		case <-timeout:
			t.Fatal("no matching event within 10 s")
		}
	}
}

// drain collects the events (not comments) that come within d.
func drain(ch <-chan sseEvent, d time.Duration) []sseEvent {
	var out []sseEvent
	timeout := time.After(d)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return out
			}
			if ev.typ != "comment" {
				out = append(out, ev)
			}
		case <-timeout:
			return out
		}
	}
}

type inbox struct {
	Notifications []struct {
		ID     int64   `json:"id"`
		Kind   string  `json:"kind"`
		CaseID *string `json:"case_id"`
		Title  string  `json:"title"`
		Link   string  `json:"link"`
		ReadAt *string `json:"read_at"`
	} `json:"notifications"`
	Unread int `json:"unread"`
	Links  []struct {
		Rel, Href string
	} `json:"links"`
}

// The assignee hears of a new task live on the event stream and finds it
// in the inbox, naming its case; reading it there tells the user's other
// screens the new unread count; nobody reads another's notifications.
func TestTheInboxIsToldLiveAndReadOnEveryScreen(t *testing.T) {
	e := newCaseEnv(t)
	events, stop := e.stream("worker1", "")
	defer stop()
	c := e.newCase("worker1", 115.2, 23.0, nil)
	e.mustAct("xingang", c.ID, map[string]any{"action": "register", "version": c.version()})
	d := e.get("xingang", c.ID)
	deadline := time.Now().Add(72 * time.Hour).Format(time.RFC3339)
	e.mustAct("xingang", c.ID, map[string]any{"action": "assign", "version": d.version(), "assignee": e.ids["worker1"], "deadline": deadline})

	ev := next(t, events, func(ev sseEvent) bool { return ev.typ == "notification" })
	var live struct {
		ID     int64  `json:"id"`
		Kind   string `json:"kind"`
		CaseID string `json:"case_id"`
		Title  string `json:"title"`
		Link   string `json:"link"`
	}
	if err := json.Unmarshal([]byte(ev.data), &live); err != nil || live.Kind != "assigned" || live.CaseID != c.ID ||
		!strings.HasPrefix(live.Title, "新任务") || live.Link != "/#case="+c.ID || ev.id == "" {
		t.Fatalf("live notification %+v (id %q, %v)", live, ev.id, err)
	}

	var in inbox
	if res := e.do("GET", "/api/v1/notifications?unread=true", "worker1", nil, &in); res.StatusCode != 200 {
		t.Fatalf("inbox: %d %s", res.StatusCode, res.Body)
	}
	if in.Unread != 1 || len(in.Notifications) != 1 || in.Notifications[0].ID != live.ID || *in.Notifications[0].CaseID != c.ID {
		t.Fatalf("inbox %+v", in)
	}
	// the township heard of the report, not of the assignment
	var office inbox
	e.do("GET", "/api/v1/notifications", "xingang2", nil, &office)
	if len(office.Notifications) != 1 || office.Notifications[0].Kind != "reported" {
		t.Errorf("xingang2's inbox %+v", office)
	}

	// reading it: refused for someone else, then done, and the other
	// screens told
	other, stopOther := e.stream("worker1", "")
	defer stopOther()
	for _, bad := range []struct {
		user, body string
		status     int
	}{
		{"xingang2", fmt.Sprintf(`{"ids":[%d]}`, live.ID), 422},
		{"worker1", `{}`, 422},
		{"worker1", `{"ids":[1],"bogus":true}`, 400},
	} {
		if res := e.do("POST", "/api/v1/notifications/read", bad.user, bad.body, nil); res.StatusCode != bad.status {
			t.Errorf("read %s as %s: %d, want %d: %s", bad.body, bad.user, res.StatusCode, bad.status, res.Body)
		}
	}
	var out struct{ Read, Unread int }
	if res := e.do("POST", "/api/v1/notifications/read", "worker1", fmt.Sprintf(`{"ids":[%d]}`, live.ID), &out); res.StatusCode != 200 || out.Read != 1 || out.Unread != 0 {
		t.Fatalf("read: %d %s", res.StatusCode, res.Body)
	}
	ev = next(t, other, func(ev sseEvent) bool { return ev.typ == "inbox" })
	if ev.data != `{"unread": 0}` && ev.data != `{"unread":0}` {
		t.Errorf("inbox event %q", ev.data)
	}
	e.do("GET", "/api/v1/notifications?unread=true", "worker1", nil, &in)
	if in.Unread != 0 || len(in.Notifications) != 0 {
		t.Errorf("after reading: %+v", in)
	}
	e.do("GET", "/api/v1/notifications", "worker1", nil, &in)
	if len(in.Notifications) != 1 || in.Notifications[0].ReadAt == nil {
		t.Errorf("all notifications after reading: %+v", in)
	}

	// paging, newest first, by next links
	for i := range 3 {
		e.newCase("xingang", 115.2+float64(i)*0.01, 23.1, nil)
	}
	var page inbox
	e.do("GET", "/api/v1/notifications?limit=2", "xingang2", nil, &page)
	seen := 0
	for {
		seen += len(page.Notifications)
		href := ""
		for _, l := range page.Links {
			if l.Rel == "next" {
				href = l.Href
			}
		}
		if href == "" {
			break
		}
		page = inbox{}
		if res := e.do("GET", href, "xingang2", nil, &page); res.StatusCode != 200 {
			t.Fatalf("next page: %d", res.StatusCode)
		}
	}
	if seen != 4 {
		t.Errorf("paged through %d notifications, want 4", seen)
	}
	if res := e.do("POST", "/api/v1/notifications/read", "xingang2", `{"all":true}`, &out); res.StatusCode != 200 || out.Read != 4 || out.Unread != 0 {
		t.Errorf("read all: %d %s", res.StatusCode, res.Body)
	}
}

// A client reconnecting with Last-Event-ID gets exactly what it missed,
// in order, from the stored feed — no more (nothing it had, nothing out of
// its scope) and no resync; one too far behind, or naming an id the server
// never gave, is told to resync.
func TestLastEventIDReplaysExactlyTheMissedEvents(t *testing.T) {
	e := newCaseEnv(t)
	events, stop := e.stream("xingang", "")
	first := e.newCase("worker1", 115.2, 23.0, nil)
	next(t, events, func(ev sseEvent) bool { return ev.typ == "case" && strings.Contains(ev.data, first.ID) })
	seen := next(t, events, func(ev sseEvent) bool { return ev.typ == "notification" && strings.Contains(ev.data, first.ID) })
	if _, err := strconv.ParseInt(seen.id, 10, 64); err != nil {
		t.Fatalf("the event's id %q is not a number", seen.id)
	}
	stop()

	// while away: two changes in 新港 (one of them told to xingang by
	// notification too), one in 香洲, out of xingang's scope
	a := e.newCase("worker1", 115.21, 23.0, nil) // case a, and "reported" to xingang
	e.mustAct("xingang2", a.ID, map[string]any{"action": "register", "version": a.version()})
	e.newCase("worker3", 116.2, 23.0, nil) // 香洲
	time.Sleep(200 * time.Millisecond)

	replayed, stop2 := e.stream("xingang", seen.id)
	got := drain(replayed, 1500*time.Millisecond)
	stop2()
	var kinds []string
	last := seen.id
	for _, ev := range got {
		if ev.typ == "resync" {
			t.Fatalf("resync on a replay within the window: %v", got)
		}
		n, _ := strconv.ParseInt(ev.id, 10, 64)
		l, _ := strconv.ParseInt(last, 10, 64)
		if n <= l {
			t.Errorf("event %s after %s: not in order, or one the client had", ev.id, last)
		}
		last = ev.id
		var c struct {
			ID     string `json:"id"`
			State  string `json:"state"`
			CaseID string `json:"case_id"`
			Kind   string `json:"kind"`
		}
		json.Unmarshal([]byte(ev.data), &c)
		switch ev.typ {
		case "case":
			kinds = append(kinds, "case:"+c.State+":"+short(c.ID, a.ID))
		case "notification":
			kinds = append(kinds, "notification:"+c.Kind+":"+short(c.CaseID, a.ID))
		default:
			kinds = append(kinds, ev.typ)
		}
	}
	want := []string{"case:reported:a", "notification:reported:a", "case:registered:a"}
	if strings.Join(kinds, ",") != strings.Join(want, ",") {
		t.Errorf("replayed %v, want exactly %v", kinds, want)
	}

	// an id from before what is kept: resync
	if _, err := cases.PruneFeed(context.Background(), e.pool, 0); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{seen.id, "999999999", first.ID + ":1"} {
		s, stop := e.stream("xingang", id)
		if ev := next(t, s, func(ev sseEvent) bool { return ev.typ != "comment" }); ev.typ != "resync" {
			t.Errorf("Last-Event-ID %s: first event %s, want resync", id, ev.typ)
		}
		stop()
	}
	// and a client that is up to date gets nothing but what comes next
	var newest int64
	queryRow(t, e.pool, `SELECT pruned_through FROM feed_state`).Scan(&newest)
	s, stop3 := e.stream("xingang", strconv.FormatInt(newest, 10))
	defer stop3()
	b := e.newCase("worker1", 115.22, 23.0, nil)
	if ev := next(t, s, func(ev sseEvent) bool { return ev.typ != "comment" }); ev.typ != "case" || !strings.Contains(ev.data, b.ID) {
		t.Errorf("after an up-to-date reconnect: %s %s", ev.typ, ev.data)
	}
}

func short(id, a string) string {
	if id == a {
		return "a"
	}
	return id
}

// An office manages its robots: the secret is never returned, the robot's
// key is masked, the test button reports what the robot said, and a
// channel can be changed and removed by its id on the collection too.
func TestAnOfficeManagesItsRobotsAndNeverSeesTheSecretAgain(t *testing.T) {
	e := newCaseEnv(t)
	hits := 0
	robot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		body, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(body), "测试消息") || r.URL.Query().Get("sign") == "" {
			w.WriteHeader(400)
			return
		}
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	defer robot.Close()
	const token, secret = "0123456789abcdef0123456789abcdef", "SECd1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9"
	var ch map[string]any
	res := e.do("POST", "/api/v1/notification-channels", "xingang", map[string]any{"area": "441502001000", "kind": "dingtalk",
		"name": "新港应急值班群", "url": robot.URL + "/robot/send?access_token=" + token, "secret": secret, "digest_at": "08:30"}, &ch)
	if res.StatusCode != 201 {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	id := int64(ch["id"].(float64))
	check := func(what string, body []byte) {
		t.Helper()
		if strings.Contains(string(body), secret) || strings.Contains(string(body), token) {
			t.Errorf("%s shows the secret or the key: %s", what, body)
		}
	}
	check("the creation", res.Body)
	if ch["secret_set"] != true || ch["url"] != robot.URL+"/robot/send?access_token=0123****" || ch["digest_at"] != "08:30" {
		t.Errorf("created %v", ch)
	}
	res = e.do("GET", "/api/v1/notification-channels", "xingang", nil, nil)
	check("the list", res.Body)
	res = e.do("GET", fmt.Sprintf("/api/v1/notification-channels/%d", id), "chengqu", nil, nil)
	check("the county's read", res.Body)
	if res.StatusCode != 200 {
		t.Errorf("the county reads 新港's channel: %d", res.StatusCode)
	}
	if res := e.do("GET", fmt.Sprintf("/api/v1/notification-channels/%d", id), "xiangzhou", nil, nil); res.StatusCode != 404 {
		t.Errorf("another township reads it: %d", res.StatusCode)
	}
	var test struct {
		OK    bool    `json:"ok"`
		Error *string `json:"error"`
	}
	if res := e.do("POST", fmt.Sprintf("/api/v1/notification-channels/%d/test", id), "xingang", nil, &test); res.StatusCode != 200 || !test.OK || hits != 1 {
		t.Fatalf("test: %d %s (robot hit %d times)", res.StatusCode, res.Body, hits)
	}
	// a wrong secret: the robot refuses, the test says so
	res = e.do("PATCH", "/api/v1/notification-channels", "xingang", map[string]any{"id": id, "secret": ""}, &ch)
	if res.StatusCode != 200 || ch["secret_set"] != false {
		t.Fatalf("clear the secret: %d %s", res.StatusCode, res.Body)
	}
	if res := e.do("POST", fmt.Sprintf("/api/v1/notification-channels/%d/test", id), "xingang", nil, &test); res.StatusCode != 200 || test.OK ||
		test.Error == nil || !strings.Contains(*test.Error, "HTTP 400") {
		t.Errorf("test without the secret: %d %s", res.StatusCode, res.Body)
	}
	// bad input names its field
	for body, field := range map[string]string{
		`{"area":"441502001000","kind":"generic","url":"https://x.example/hook"}`:                    "secret",
		`{"area":"441502001000","kind":"wecom","url":"https://x.example/hook","secret":"abc"}`:       "secret",
		`{"area":"441502001001","kind":"wecom","url":"https://x.example/hook"}`:                      "area",
		`{"area":"441502001000","kind":"sms","url":"https://x.example/hook"}`:                        "kind",
		`{"area":"441502001000","kind":"wecom","url":"https://x.example/h","kinds":["gossip"]}`:      "kinds[0]",
		`{"area":"441502001000","kind":"wecom","url":"https://x.example/h","digest_at":"8 o'clock"}`: "digest_at",
	} {
		var er errBody
		if res := e.do("POST", "/api/v1/notification-channels", "xingang", body, &er); res.StatusCode != 422 || len(er.Error.Details) == 0 || er.Error.Details[0].Field != field {
			t.Errorf("%s: %d %s, want 422 naming %s", body, res.StatusCode, res.Body, field)
		}
	}
	if res := e.do("POST", "/api/v1/notification-channels", "xingang", `{"area":"441502002000","kind":"wecom","url":"https://x.example/h"}`, nil); res.StatusCode != 403 {
		t.Errorf("a channel for another township: %d", res.StatusCode)
	}
	if res := e.do("DELETE", fmt.Sprintf("/api/v1/notification-channels?id=%d", id), "xingang", nil, nil); res.StatusCode != 204 {
		t.Errorf("delete: %d %s", res.StatusCode, res.Body)
	}
	if res := e.do("GET", fmt.Sprintf("/api/v1/notification-channels/%d", id), "xingang", nil, nil); res.StatusCode != 404 {
		t.Errorf("after delete: %d", res.StatusCode)
	}
}
