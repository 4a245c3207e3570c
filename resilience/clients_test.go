package resilience

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"riskmap"
	"riskmap/auth"
)

// Slow and abusive clients are cut off by the server's timeouts and
// limits, and the others are served meanwhile: headers trickled
// (slowloris), a body trickled, bodies over --max-body (declared or
// chunked), JSON nested deeper than any parser should follow.
func TestSlowAndAbusiveClientsAreCutOffByTimeoutsAndLimits(t *testing.T) {
	url, pool := scratchDB(t)
	const headerTimeout, readTimeout = time.Second, 3 * time.Second
	srv := startServer(t, url, "--read-header-timeout", headerTimeout.String(), "--read-timeout", readTimeout.String(), "--max-body", "65536")
	admin, _ := user(t, pool, srv.Base, auth.UserSpec{Username: "admin", Role: riskmap.RoleAdmin})
	worker, _ := user(t, pool, srv.Base, auth.UserSpec{Username: "worker", Role: riskmap.RoleWorker, Grids: []string{"441502001001001"}})
	addr := strings.TrimPrefix(srv.Base, "http://")
	const slack = 2 * time.Second

	t.Run("headers trickled by 100 connections at once", func(t *testing.T) {
		var wg sync.WaitGroup
		held := make([]time.Duration, 100)
		for i := range held {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				start := time.Now()
				_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: riskmap\r\nX-Slow: ")
				// one byte every 100 ms, never ending the headers
				go func() {
					for {
						time.Sleep(100 * time.Millisecond)
						if _, err := c.Write([]byte("a")); err != nil {
							return
						}
					}
				}()
				_ = c.SetReadDeadline(time.Now().Add(headerTimeout + 10*time.Second))
				_, _ = io.Copy(io.Discard, c) // until the server closes
				held[i] = time.Since(start)
			}()
		}
		// the server answers others while they dribble
		time.Sleep(300 * time.Millisecond)
		start := time.Now()
		if status, body := call(t, srv.Base, "GET", "/healthz", "", nil); status != 200 {
			t.Errorf("/healthz among slow clients: %d %s", status, body)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("/healthz took %s among 100 slow clients", d)
		}
		wg.Wait()
		for i, d := range held {
			if d > headerTimeout+slack {
				t.Errorf("connection %d trickling headers was held %s; --read-header-timeout is %s", i, d, headerTimeout)
				break
			}
		}
	})

	t.Run("body trickled", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		fmt.Fprintf(c, "POST /api/v1/auth/login HTTP/1.1\r\nHost: riskmap\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
		go func() {
			for {
				time.Sleep(100 * time.Millisecond)
				if _, err := c.Write([]byte(" ")); err != nil {
					return
				}
			}
		}()
		_ = c.SetReadDeadline(time.Now().Add(readTimeout + 10*time.Second))
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		took := time.Since(start)
		if took > readTimeout+slack {
			t.Errorf("a trickled body was read for %s; --read-timeout is %s", took, readTimeout)
		}
		if err == nil {
			body, _ := io.ReadAll(res.Body)
			// cut off: an answer naming the cause, never a 5xx
			if res.StatusCode != 400 || !strings.Contains(string(body), "did not arrive") {
				t.Errorf("trickled body: %d %s, want 400 naming the read timeout", res.StatusCode, body)
			}
		}
	})

	t.Run("a declared body over --max-body is refused before it is sent", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// the headers only: the answer must come without the 10 MB
		fmt.Fprintf(c, "POST /api/v1/risk_points HTTP/1.1\r\nHost: riskmap\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", admin, 10<<20)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("no answer before the body: %v", err)
		}
		body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		if res.StatusCode != 413 || !strings.Contains(string(body), "65536") {
			t.Errorf("%d %s, want 413 naming the limit", res.StatusCode, body)
		}
	})

	for _, tc := range []struct {
		name, method, path, token string
		headers                   map[string]string
		body                      func() io.Reader
		contentLength             int64 // -1: chunked
		status                    int
	}{
		{"a chunked body over --max-body is cut off", "POST", "/api/v1/risk_points", admin,
			nil, func() io.Reader { return io.LimitReader(zeros{}, 200<<10) }, -1, 413},
		{"login with JSON nested 50,000 deep", "POST", "/api/v1/auth/login", "",
			nil, func() io.Reader { return strings.NewReader(strings.Repeat("[", 50000)) }, 50000, 400},
		{"a feature with JSON nested 50,000 deep", "POST", "/api/v1/risk_points", admin,
			nil, func() io.Reader {
				return strings.NewReader(`{"type":"Feature","properties":{"name":` + strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat("}", 10000) + `}}`)
			}, -2, 0},
		{"a report whose coordinates nest 20,000 deep", "POST", "/api/v1/cases", worker,
			nil, func() io.Reader {
				return strings.NewReader(`{"type":"Feature","geometry":{"type":"Point","coordinates":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) +
					`},"properties":{"grade":"general","category":"flood","description":"x"}}`)
			}, -2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.Base+tc.path, tc.body())
			switch {
			case tc.contentLength == -1:
				req.ContentLength = -1 // chunked
			case tc.contentLength >= 0:
				req.ContentLength = tc.contentLength
			}
			req.Header.Set("Content-Type", "application/json")
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			start := time.Now()
			res, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s", d)
			}
			switch {
			case tc.status != 0 && res.StatusCode != tc.status:
				t.Errorf("%d %s, want %d", res.StatusCode, body, tc.status)
			case tc.status == 0 && (res.StatusCode < 400 || res.StatusCode >= 500):
				t.Errorf("%d %s, want a 4xx naming the problem", res.StatusCode, body)
			case !strings.Contains(string(body), `"message"`):
				t.Errorf("%d without the API's error body: %s", res.StatusCode, body)
			}
		})
	}
	if status, _ := call(t, srv.Base, "GET", "/healthz", "", nil); status != 200 || !srv.Running() {
		t.Errorf("the server after the abuse: running %v, /healthz %d", srv.Running(), status)
	}
}

// zeros is an endless reader of '0'.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}
