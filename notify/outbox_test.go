package notify_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"riskmap"
	"riskmap/notify"
)

// receiver is a robot's webhook, served by the test: it records every
// request and answers as told.
type receiver struct {
	t   *testing.T
	srv *httptest.Server
	mu  sync.Mutex
	got []received
	// answer decides the reply to the n-th request (from 1) of a path
	answer func(path string, n int, w http.ResponseWriter)
}

type received struct {
	path   string
	query  map[string]string
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		q := map[string]string{}
		for k, v := range req.URL.Query() {
			q[k] = v[0]
		}
		r.mu.Lock()
		r.got = append(r.got, received{path: req.URL.Path, query: q, header: req.Header.Clone(), body: body})
		n := 0
		for _, g := range r.got {
			if g.path == req.URL.Path {
				n++
			}
		}
		answer := r.answer
		r.mu.Unlock()
		if answer != nil {
			answer(req.URL.Path, n, w)
			return
		}
		if strings.HasPrefix(req.URL.Path, "/generic") {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests(path string) []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []received
	for _, g := range r.got {
		if g.path == path {
			out = append(out, g)
		}
	}
	return out
}

const (
	wecomKey       = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
	dingtalkToken  = "b8a7f8e0c0a94d7ab1b1c9f6e3d2a1f0"
	dingtalkSecret = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
	genericSecret  = "generic-secret-of-the-county-0001"
)

// channels makes a 企业微信, a 钉钉 and a generic channel for 新港's office.
func (f *fixture) channels(r *receiver) (wecom, dingtalk, generic notify.Channel) {
	f.t.Helper()
	mk := func(in string) notify.Channel {
		f.t.Helper()
		ci, err := notify.ParseChannel([]byte(in))
		if err != nil {
			f.t.Fatal(err)
		}
		c, err := f.svc.CreateChannel(f.ctx, f.users["xingang"], ci)
		if err != nil {
			f.t.Fatalf("create channel %s: %v", in, err)
		}
		return c
	}
	wecom = mk(fmt.Sprintf(`{"area":"441502001000","kind":"wecom","name":"新港应急群","url":"%s/wecom?key=%s"}`, r.srv.URL, wecomKey))
	dingtalk = mk(fmt.Sprintf(`{"area":"441502001000","kind":"dingtalk","name":"新港钉钉群","url":"%s/dingtalk?access_token=%s","secret":"%s"}`,
		r.srv.URL, dingtalkToken, dingtalkSecret))
	generic = mk(fmt.Sprintf(`{"area":"441502001000","kind":"generic","name":"新港值班系统","url":"%s/generic","secret":"%s"}`, r.srv.URL, genericSecret))
	return
}

// shapeDiff compares a JSON value of ours with the published example's:
// the same members, of the same JSON types (an empty array matches an
// array of anything). It returns where they differ, or "".
func shapeDiff(path string, ours, ex any) string {
	switch e := ex.(type) {
	case map[string]any:
		o, ok := ours.(map[string]any)
		if !ok {
			return path + ": not an object"
		}
		for k := range e {
			if _, ok := o[k]; !ok {
				return path + "." + k + ": missing"
			}
		}
		for k, v := range o {
			x, ok := e[k]
			if !ok {
				return path + "." + k + ": not in the published format"
			}
			if d := shapeDiff(path+"."+k, v, x); d != "" {
				return d
			}
		}
		return ""
	case []any:
		o, ok := ours.([]any)
		if !ok {
			return path + ": not an array"
		}
		if len(o) > 0 && len(e) > 0 {
			return shapeDiff(path+"[0]", o[0], e[0])
		}
		return ""
	}
	if fmt.Sprintf("%T", ours) != fmt.Sprintf("%T", ex) {
		return fmt.Sprintf("%s: %T, published %T", path, ours, ex)
	}
	return ""
}

func sameShape(t *testing.T, what string, ours []byte, examplePath string) {
	t.Helper()
	ex, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(ours, &a); err != nil {
		t.Fatalf("%s: our body is not JSON: %v: %s", what, err, ours)
	}
	if err := json.Unmarshal(ex, &b); err != nil {
		t.Fatal(err)
	}
	if d := shapeDiff("$", a, b); d != "" {
		t.Errorf("%s: the body differs from the published example at %s: %s", what, d, ours)
	}
}

// The robots get what their published formats say: 企业微信 and 钉钉
// markdown messages shaped as the documentation's examples, 钉钉 signed
// with its 加签 (the receiver checks it), the generic document signed with
// X-Riskmap-Signature; each in Chinese with the case's title, grid,
// deadline and link.
func TestRobotMessagesFollowThePublishedFormatsAndAreSigned(t *testing.T) {
	f := newFixture(t, notify.Config{})
	r := newReceiver(t)
	f.channels(r)
	f.clock.Set(time.Now())
	id := f.report("worker1", g001, "major")
	n, failed, err := f.svc.DeliverDue(f.ctx)
	if err != nil || n != 3 || failed != 0 {
		t.Fatalf("delivered %d, failed %d, %v; want 3 delivered", n, failed, err)
	}
	link := "https://riskmap.example.cn/#case=" + id

	// 企业微信
	w := r.requests("/wecom")
	if len(w) != 1 || w[0].query["key"] != wecomKey {
		t.Fatalf("企业微信 got %d requests (%v)", len(w), w)
	}
	sameShape(t, "企业微信", w[0].body, "testdata/wecom_markdown.json")
	var wb struct {
		Msgtype  string
		Markdown struct{ Content string }
	}
	json.Unmarshal(w[0].body, &wb)
	if wb.Msgtype != "markdown" || len(wb.Markdown.Content) > 4096 {
		t.Errorf("企业微信 body: %s", w[0].body)
	}
	for _, want := range []string{"新上报隐患：山洪/内涝易涝点（重大隐患）", "立新第1网格（新港街道）", "排水沟堵塞", "[查看案件](" + link + ")"} {
		if !strings.Contains(wb.Markdown.Content, want) {
			t.Errorf("企业微信 content lacks %q: %s", want, wb.Markdown.Content)
		}
	}
	if ct := w[0].header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}

	// 钉钉, with its signature checked as 钉钉 checks it
	d := r.requests("/dingtalk")
	if len(d) != 1 {
		t.Fatalf("钉钉 got %d requests", len(d))
	}
	sameShape(t, "钉钉", d[0].body, "testdata/dingtalk_markdown.json")
	q := d[0].query
	ts, err := strconv.ParseInt(q["timestamp"], 10, 64)
	if err != nil || q["access_token"] != dingtalkToken {
		t.Fatalf("钉钉 query %v", q)
	}
	if skew := time.Since(time.UnixMilli(ts)); skew < 0 || skew > time.Hour {
		t.Errorf("钉钉 timestamp %d is %v off (钉钉 takes at most an hour)", ts, skew)
	}
	mac := hmac.New(sha256.New, []byte(dingtalkSecret))
	fmt.Fprintf(mac, "%d\n%s", ts, dingtalkSecret)
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); q["sign"] != want {
		t.Errorf("钉钉 sign %q, want %q", q["sign"], want)
	}
	var db struct {
		Markdown struct{ Title, Text string }
		At       struct{ IsAtAll bool }
	}
	json.Unmarshal(d[0].body, &db)
	if !strings.HasPrefix(db.Markdown.Title, "新上报隐患") || !strings.Contains(db.Markdown.Text, link) || !strings.Contains(db.Markdown.Text, "\n\n") || db.At.IsAtAll {
		t.Errorf("钉钉 body: %s", d[0].body)
	}

	// generic
	g := r.requests("/generic")
	if len(g) != 1 {
		t.Fatalf("generic got %d requests", len(g))
	}
	gm := hmac.New(sha256.New, []byte(genericSecret))
	gm.Write(g[0].body)
	if got, want := g[0].header.Get("X-Riskmap-Signature"), "sha256="+hex.EncodeToString(gm.Sum(nil)); got != want {
		t.Errorf("X-Riskmap-Signature %q, want %q", got, want)
	}
	if g[0].header.Get("X-Riskmap-Event") != "reported" || g[0].header.Get("X-Riskmap-Delivery") == "" {
		t.Errorf("generic headers %v", g[0].header)
	}
	var gb struct {
		Kind  string
		Title string
		URL   string
		Items []struct {
			CaseID   string `json:"case_id"`
			GridCode string `json:"grid_code"`
			GridName string `json:"grid_name"`
			Grade    string
		}
	}
	if err := json.Unmarshal(g[0].body, &gb); err != nil || gb.Kind != "reported" || gb.URL != link || len(gb.Items) != 1 ||
		gb.Items[0].CaseID != id || gb.Items[0].GridName != "立新第1网格" || gb.Items[0].Grade != "major" {
		t.Errorf("generic body %s (%v)", g[0].body, err)
	}
	// delivered once: nothing more goes out
	if n, _, _ := f.svc.DeliverDue(f.ctx); n != 0 {
		t.Errorf("a second pass delivered %d", n)
	}
}

// A message whose transaction rolled back never goes out, even while it
// is still in flight when the outbox is delivered.
func TestTheOutboxNeverDeliversARolledBackMessage(t *testing.T) {
	f := newFixture(t, notify.Config{})
	r := newReceiver(t)
	f.channels(r)
	tx, err := f.pool.Begin(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Raise(f.ctx, tx, notify.Notice{Kind: "patrol_review", Place: "441502001001001", RefType: "patrol", RefID: "9",
		Title: "巡查发现问题待审核"}); err != nil {
		t.Fatal(err)
	}
	// uncommitted: invisible to the delivery
	if n, _, err := f.svc.DeliverDue(f.ctx); n != 0 || err != nil {
		t.Fatalf("delivered %d (%v) from an open transaction", n, err)
	}
	tx.Rollback(f.ctx)
	if n, _, err := f.svc.DeliverDue(f.ctx); n != 0 || err != nil {
		t.Fatalf("delivered %d (%v) after the rollback", n, err)
	}
	// a refused case action rolls back what it would have told
	a := f.report("worker1", g001, "")
	r.mu.Lock()
	r.got = nil
	r.mu.Unlock()
	var before int
	f.pool.QueryRow(f.ctx, `SELECT count(*) FROM notification_outbox`).Scan(&before)
	if err := f.try("worker2", a, "register", nil); err == nil {
		t.Fatal("a worker registered a case")
	}
	var after int
	f.pool.QueryRow(f.ctx, `SELECT count(*) FROM notification_outbox`).Scan(&after)
	if after != before {
		t.Errorf("a refused action left %d messages", after-before)
	}
	if n, _, _ := f.svc.DeliverDue(f.ctx); n != 3 {
		t.Errorf("the committed report went to %d robots, want 3", n)
	}
	if len(r.requests("/generic")) != 1 {
		t.Errorf("generic got %d", len(r.requests("/generic")))
	}
}

// A failing robot is retried with backoff — after a 500, after a timeout —
// and the message is delivered once it answers; a robot that keeps failing
// has the message dead-lettered after the last attempt, shown with its
// last error, and retried by hand. No error or log line carries the
// secret or the robot's key.
func TestTheOutboxRetriesWithBackoffAndDeadLetters(t *testing.T) {
	var logs bytes.Buffer
	var logMu sync.Mutex
	f := newFixture(t, notify.Config{})
	// the service again, logging where the test can read it
	f.svc = notify.New(f.pool, f.cases, notify.Config{MaxAttempts: 3, Timeout: 300 * time.Millisecond, RetryBase: 30 * time.Second,
		Now: f.clock.Now, AllowPrivate: true, PublicURL: "https://riskmap.example.cn",
		Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, nil))})
	r := newReceiver(t)
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	f.clock.Set(start)
	r.answer = func(path string, n int, w http.ResponseWriter) {
		switch {
		case path == "/generic" && n == 1:
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "boom")
		case path == "/generic" && n == 2:
			time.Sleep(time.Second) // past the timeout
			w.WriteHeader(http.StatusNoContent)
		case path == "/generic":
			w.WriteHeader(http.StatusNoContent)
		case path == "/wecom":
			// 企业微信 answers 200 with an error code when it refuses
			io.WriteString(w, `{"errcode":93000,"errmsg":"invalid webhook url"}`)
		default:
			w.WriteHeader(http.StatusBadGateway)
		}
	}
	wecom, dingtalk, generic := f.channels(r)
	_ = dingtalk
	f.report("worker1", g001, "")
	deliver := func(at time.Duration) (int, int) {
		t.Helper()
		f.clock.Set(start.Add(at))
		n, failed, err := f.svc.DeliverDue(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n, failed
	}
	state := func(channel int64) (string, int, string) {
		var s, e string
		var n int
		f.pool.QueryRow(f.ctx, `SELECT state, attempts, coalesce(last_error, '') FROM notification_outbox WHERE channel_id = $1`, channel).Scan(&s, &n, &e)
		return s, n, e
	}
	if n, failed := deliver(0); n != 0 || failed != 3 {
		t.Fatalf("first pass: %d delivered, %d failed", n, failed)
	}
	if s, n, e := state(generic.ID); s != "pending" || n != 1 || e != "HTTP 500: boom" {
		t.Errorf("generic after a 500: %s, %d attempts, %q", s, n, e)
	}
	if _, _, e := state(wecom.ID); e != "errcode 93000: invalid webhook url" {
		t.Errorf("企业微信's refusal recorded as %q", e)
	}
	// not before the backoff
	if n, failed := deliver(29 * time.Second); n+failed != 0 {
		t.Errorf("retried before the backoff: %d %d", n, failed)
	}
	if _, failed := deliver(31 * time.Second); failed != 3 {
		t.Errorf("second attempts: %d failed, want 3", failed)
	}
	if s, n, e := state(generic.ID); s != "pending" || n != 2 || e != "request failed: timed out" {
		t.Errorf("generic after a timeout: %s, %d attempts, %q", s, n, e)
	}
	// the backoff doubled: 60 s after the second attempt
	if n, failed := deliver(31*time.Second + 59*time.Second); n+failed != 0 {
		t.Errorf("retried before the doubled backoff: %d %d", n, failed)
	}
	n, failed := deliver(31*time.Second + 61*time.Second)
	if n != 1 || failed != 2 {
		t.Errorf("third attempts: %d delivered, %d failed; want the generic one delivered, the robots dead", n, failed)
	}
	if s, n, e := state(generic.ID); s != "delivered" || n != 3 || e != "" {
		t.Errorf("generic: %s, %d attempts, %q", s, n, e)
	}
	bodies := r.requests("/generic")
	if len(bodies) != 3 || !bytes.Equal(bodies[0].body, bodies[2].body) || bodies[0].header.Get("X-Riskmap-Delivery") != bodies[2].header.Get("X-Riskmap-Delivery") {
		t.Errorf("the generic receiver got %d requests; a retry must send the same message", len(bodies))
	}
	// dead after the last attempt, and shown so
	if s, n, _ := state(wecom.ID); s != "dead" || n != 3 {
		t.Errorf("企业微信: %s after %d attempts", s, n)
	}
	ch, err := f.svc.Channel(f.ctx, f.users["xingang"], wecom.ID)
	if err != nil || ch.Outbox.Dead != 1 || ch.Outbox.LastError == nil || *ch.Outbox.LastError != "errcode 93000: invalid webhook url" {
		t.Errorf("channel shows %+v (%v)", ch.Outbox, err)
	}
	dead, _, err := f.svc.Deliveries(f.ctx, f.users["admin"], wecom.ID, "dead", 10, 0)
	if err != nil || len(dead) != 1 || dead[0].Attempts != 3 || dead[0].LastError == nil {
		t.Fatalf("dead letters %+v (%v)", dead, err)
	}
	if n, failed := deliver(24 * time.Hour); n+failed != 0 {
		t.Errorf("a dead message was tried again: %d %d", n, failed)
	}
	// retried by hand, once the robot works again
	r.mu.Lock()
	r.answer = nil
	r.mu.Unlock()
	if _, err := f.svc.Retry(f.ctx, f.users["xingang"], wecom.ID, dead[0].ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := deliver(24*time.Hour + time.Minute); n != 1 {
		t.Errorf("the retried message: %d delivered", n)
	}
	if _, err := f.svc.Retry(f.ctx, f.users["xingang"], wecom.ID, dead[0].ID); riskmap.ErrorCode(err) != riskmap.ECONFLICT {
		t.Errorf("retry of a delivered message: %v", err)
	}
	// secrets stay secret
	logMu.Lock()
	logged := logs.String()
	logMu.Unlock()
	var audit string
	f.pool.QueryRow(f.ctx, `SELECT coalesce(string_agg(coalesce(before::text, '') || coalesce(after::text, ''), ' '), '') FROM audit_log WHERE tbl = 'notification_channels'`).Scan(&audit)
	var errs string
	f.pool.QueryRow(f.ctx, `SELECT coalesce(string_agg(last_error, ' '), '') FROM notification_outbox`).Scan(&errs)
	if !strings.Contains(logged, "delivery failed") || audit == "" {
		t.Fatalf("nothing logged (%q) or audited (%q): the check below would prove nothing", logged, audit)
	}
	for _, secret := range []string{wecomKey, dingtalkToken, dingtalkSecret, genericSecret} {
		for what, text := range map[string]string{"the log": logged, "the audit log": audit, "the recorded errors": errs} {
			if strings.Contains(text, secret) {
				t.Errorf("%s carries a secret %q", what, secret[:6])
			}
		}
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
