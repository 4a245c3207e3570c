package workload

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Request is one request the workload made.
type Request struct {
	Route  string // method and route pattern, e.g. "POST /api/v1/cases/{id}/actions register"
	Start  time.Time
	Took   time.Duration
	Status int    // 0: no answer (transport error or the client's timeout)
	Err    string // the transport error, or the start of an unexpected answer
}

// Unexpected reports whether the answer was not one the workload wanted.
func (r Request) Unexpected() bool { return r.Err != "" }

// Ack is a write the server acknowledged (2xx): a report, an action that
// moved a case to Version, or an attachment.
type Ack struct {
	Case       string
	Action     string // report, register, assign, start, submit, approve, attach
	Version    int    // the case's version after it (0 for attach)
	Attachment string
}

type recorder struct {
	mu        sync.Mutex
	reqs      []Request
	acks      []Ack
	anomalies []string
}

func (r *recorder) anomaly(format string, args ...any) {
	r.mu.Lock()
	r.anomalies = append(r.anomalies, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *recorder) request(q Request) {
	r.mu.Lock()
	r.reqs = append(r.reqs, q)
	r.mu.Unlock()
}

func (r *recorder) ack(a Ack) {
	r.mu.Lock()
	r.acks = append(r.acks, a)
	r.mu.Unlock()
}

// client sends requests and records them.
type client struct {
	base string
	http *http.Client
	rec  *recorder
}

func newHTTPClient(conns int, timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = conns
	t.MaxIdleConnsPerHost = conns
	return &http.Client{Transport: t, Timeout: timeout}
}

// do sends one request as token and records it under route; an answer
// whose status is not in want (default: any 2xx or 304) is recorded as
// unexpected with the start of its body. It returns the status (0 when
// no answer came) and the body.
func (c *client) do(ctx context.Context, route, method, path, token string, body []byte, contentType string, want ...int) (int, []byte) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		panic(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	q := Request{Route: route, Start: time.Now()}
	res, err := c.http.Do(req)
	var data []byte
	if err == nil {
		data, err = io.ReadAll(res.Body)
		res.Body.Close()
		q.Status = res.StatusCode
	}
	q.Took = time.Since(q.Start)
	switch {
	case err != nil:
		q.Status, q.Err = 0, err.Error()
	case len(want) == 0 && (q.Status < 200 || q.Status > 299) && q.Status != http.StatusNotModified,
		len(want) > 0 && !slices.Contains(want, q.Status):
		q.Err = fmt.Sprintf("%d %s", q.Status, truncate(data, 300))
	}
	c.rec.request(q)
	return q.Status, data
}

func (c *client) json(ctx context.Context, route, method, path, token string, v any, want ...int) (int, []byte) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return c.do(ctx, route, method, path, token, b, "application/json", want...)
}

// Login logs every account of the plan in through the API.
func (p *Plan) Login(ctx context.Context, base string) error {
	hc := newHTTPClient(4, 30*time.Second)
	for _, a := range p.Accounts() {
		b, _ := json.Marshal(map[string]string{"username": a.Username, "password": a.Password})
		// a 503 (a password hash that outlasted the request deadline on a
		// loaded machine) is tried again, as a client honouring Retry-After
		for try := 1; ; try++ {
			req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/auth/login", bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			res, err := hc.Do(req)
			if err != nil {
				return fmt.Errorf("login %s: %w", a.Username, err)
			}
			var out struct {
				Token string
				User  struct{ ID int64 }
			}
			err = json.NewDecoder(res.Body).Decode(&out)
			res.Body.Close()
			if res.StatusCode == http.StatusServiceUnavailable && try < 5 {
				time.Sleep(time.Second)
				continue
			}
			if err != nil || res.StatusCode != 200 || out.Token == "" {
				return fmt.Errorf("login %s: %s %v", a.Username, res.Status, err)
			}
			a.Token = out.Token
			break
		}
	}
	return nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
