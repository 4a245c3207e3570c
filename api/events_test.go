package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"riskmap/blobs"
	"riskmap/cases"
)

// sseEvent is one Server-Sent Event: its type and data (comments as type
// "comment").
type sseEvent struct{ typ, data, id string }

// readSSE parses a stream into ch until it ends.
func readSSE(body *bufio.Scanner, ch chan<- sseEvent) {
	defer close(ch)
	var ev sseEvent
	for body.Scan() {
		line := body.Text()
		switch {
		case line == "":
			if ev.typ != "" || ev.data != "" {
				ch <- ev
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, ":"):
			ch <- sseEvent{typ: "comment", data: strings.TrimSpace(line[1:])}
		case strings.HasPrefix(line, "id: "):
			ev.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.typ = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.data = line[6:]
		}
	}
}

// openEvents opens the live feed of base with token until ctx ends.
func openEvents(t *testing.T, ctx context.Context, base, token string) chan sseEvent {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("events: %v %v", err, res)
	}
	ch := make(chan sseEvent, 100)
	go readSSE(bufio.NewScanner(res.Body), ch)
	return ch
}

func TestTheLiveFeedCarriesChangesAcrossReplicasWithinScope(t *testing.T) {
	e := newCaseEnv(t) // replica A
	dir, _ := blobs.NewDir(t.TempDir())
	b, srvB := newCaseServer(t, e.pool, dir, cases.Config{}) // replica B, same database

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srvB.URL+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+e.token["xingang"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	events := make(chan sseEvent, 100)
	go readSSE(bufio.NewScanner(res.Body), events)
	next := func(skipComments bool) sseEvent {
		t.Helper()
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatal("stream ended")
				}
				// (the township's notifications of the reports come too)
				if skipComments && (ev.typ == "comment" || ev.typ == "notification") {
					continue
				}
				return ev
			case <-time.After(10 * time.Second):
				t.Fatal("no event within 10 s")
			}
		}
	}
	if ev := next(false); ev.typ != "comment" || ev.data != "connected" {
		t.Fatalf("first line %+v", ev)
	}
	// through replica A: first a change outside xingang's township, then one inside
	outside := e.newCase("xiangzhou", 116.2, 23.0, nil)
	inside := e.newCase("worker1", 115.2, 23.0, nil)
	ev := next(true)
	var ch cases.Change
	if err := json.Unmarshal([]byte(ev.data), &ch); err != nil || ev.typ != "case" {
		t.Fatalf("event %+v: %v", ev, err)
	}
	if ch.ID != inside.ID || ch.State != "reported" || ch.Version != 1 || ch.TownshipCode != "441502001000" || ch.Action == nil || *ch.Action != "report" {
		t.Errorf("first event %+v, want the report of %s (not %s, outside the scope)", ch, inside.ID, outside.ID)
	}
	e.mustAct("xingang", inside.ID, map[string]any{"action": "register", "version": 1})
	ev = next(true)
	json.Unmarshal([]byte(ev.data), &ch)
	if ch.ID != inside.ID || ch.State != "registered" || ch.Version != 2 || *ch.Action != "register" {
		t.Errorf("second event %+v", ch)
	}
	// heartbeats keep the connection alive
	if ev := next(false); ev.typ != "comment" || ev.data != "heartbeat" {
		t.Errorf("want a heartbeat, got %+v", ev)
	}
	// the client leaves: the subscription ends
	if b.CaseFeed.Subscribers() != 1 {
		t.Errorf("%d subscribers", b.CaseFeed.Subscribers())
	}
	cancel()
	res.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for b.CaseFeed.Subscribers() != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := b.CaseFeed.Subscribers(); n != 0 {
		t.Errorf("%d subscribers after the client left", n)
	}
}

func TestTheLiveFeedOutlivesTheServersWriteTimeout(t *testing.T) {
	e := newCaseEnv(t)
	dir, _ := blobs.NewDir(t.TempDir())
	s, _ := newCaseServer(t, e.pool, dir, cases.Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: s.Handler(), WriteTimeout: time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+ln.Addr().String()+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+e.token["city"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	events := make(chan sseEvent, 100)
	go readSSE(bufio.NewScanner(res.Body), events)
	deadline := time.After(2500 * time.Millisecond)
	beats := 0
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("the stream ended after %d heartbeats", beats)
			}
			if ev.data == "heartbeat" {
				beats++
			}
			continue
		case <-deadline:
		}
		break
	}
	if beats < 5 {
		t.Errorf("%d heartbeats in 2.5 s past a 1 s write timeout", beats)
	}
}

// A stream whose token stops holding ends within seconds, on every
// replica: the revocation is made through replica A, the streams are open
// on replica B, and nothing reported after the revocation reaches them.
func TestALiveFeedEndsWithinSecondsOfItsTokenBeingRevoked(t *testing.T) {
	e := newCaseEnv(t) // replica A
	dir, _ := blobs.NewDir(t.TempDir())
	_, srvB := newCaseServer(t, e.pool, dir, cases.Config{}) // replica B
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open := func(user string) chan sseEvent { return openEvents(t, ctx, srvB.URL, e.token[user]) }
	revocations := []struct {
		user   string
		revoke func()
	}{
		{"xingang", func() {
			if res := e.do("POST", "/api/v1/auth/logout", "xingang", nil, nil); res.StatusCode != 204 {
				t.Fatalf("logout: %d", res.StatusCode)
			}
		}},
		{"xingang2", func() {
			if res := e.do("PATCH", fmt.Sprintf("/api/v1/users/%d", e.ids["xingang2"]), "admin", map[string]any{"disabled": true}, nil); res.StatusCode != 200 {
				t.Fatalf("disable: %d %s", res.StatusCode, res.Body)
			}
		}},
		{"chengqu2", func() {
			if res := e.do("PATCH", fmt.Sprintf("/api/v1/users/%d", e.ids["chengqu2"]), "admin", map[string]any{"areas": []string{"441521000000"}}, nil); res.StatusCode != 200 {
				t.Fatalf("change scope: %d %s", res.StatusCode, res.Body)
			}
		}},
	}
	for _, r := range revocations {
		events := open(r.user)
		for ev := range events {
			if ev.data == "connected" {
				break
			}
		}
		r.revoke()
		at := time.Now()
		after := e.newCase("worker1", 115.2, 23.0, nil) // in every one of their scopes
		ended, revoked := false, false
		deadline := time.After(5 * time.Second)
		for !ended {
			select {
			case ev, ok := <-events:
				switch {
				case !ok:
					ended = true
				case ev.typ == "revoked":
					revoked = true
				case ev.typ == "case" && strings.Contains(ev.data, after.ID):
					t.Errorf("%s: a case reported after the revocation reached the stream", r.user)
				}
			case <-deadline:
				t.Fatalf("%s: the stream still runs 5 s after the token was revoked", r.user)
			}
		}
		if !revoked {
			t.Errorf("%s: the stream ended without saying why (event: revoked)", r.user)
		}
		t.Logf("%s: stream ended %v after the revocation", r.user, time.Since(at).Round(time.Millisecond))
	}
}
