package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/api"
	"riskmap/audit"
	"riskmap/auth"
	"riskmap/features"
)

// A database that is away answers 503 with Retry-After, quickly, on every
// route that needs it — whether it refuses connections (stopped) or takes
// them and never answers (frozen, its host cut off: the request deadline
// ends the wait) — never a 500 or a request left hanging.
func TestTheDatabaseAwayAnswers503QuicklyNotAHang(t *testing.T) {
	// stopped: a port nothing listens on
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := l.Addr().(*net.TCPAddr).Port
	l.Close()
	// frozen: a server that takes connections and never says a word
	frozen, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer frozen.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := frozen.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	const deadline = 500 * time.Millisecond
	for _, tc := range []struct {
		name string
		port int
	}{
		{"stopped", closedPort},
		{"frozen", frozen.Addr().(*net.TCPAddr).Port},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// no connect_timeout: only the request deadline bounds the wait
			pool, err := pgxpool.New(context.Background(), fmt.Sprintf("host=127.0.0.1 port=%d user=riskmap dbname=riskmap sslmode=disable", tc.port))
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			s := &api.Server{Features: features.NewStore(pool), Auth: auth.NewService(pool, time.Hour, auth.NewLimiter(5, time.Minute)),
				Audit: audit.NewLog(pool), DB: pool, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBody: 1 << 20,
				RequestTimeout: deadline}
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			for _, r := range []struct{ method, path, token, body string }{
				{"GET", "/healthz", "", ""},
				{"POST", "/api/v1/auth/login", "", `{"username":"city","password":"x"}`},
				{"GET", "/api/v1/risk_points?limit=10", "rm_0123456789abcdef", ""},
				{"GET", "/api/v1/locate?lon=115.3&lat=22.8", "rm_0123456789abcdef", ""},
			} {
				req, _ := http.NewRequest(r.method, srv.URL+r.path, strings.NewReader(r.body))
				if r.token != "" {
					req.Header.Set("Authorization", "Bearer "+r.token)
				}
				start := time.Now()
				res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
				if err != nil {
					t.Fatalf("%s %s: no answer: %v", r.method, r.path, err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				took := time.Since(start)
				if res.StatusCode != 503 || took > deadline+2*time.Second {
					t.Errorf("%s %s: %d after %s: %s; want 503 within the %s deadline", r.method, r.path, res.StatusCode, took, body, deadline)
				}
				if r.path != "/healthz" && (res.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "unavailable")) {
					t.Errorf("%s %s: Retry-After %q, body %s; want a retry hint and the code unavailable", r.method, r.path, res.Header.Get("Retry-After"), body)
				}
			}
		})
	}
}
