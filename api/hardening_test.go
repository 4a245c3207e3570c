package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"riskmap/api"
	"riskmap/auth"
	"riskmap/demo"
	"riskmap/features"
	"riskmap/internal/dbtest"
)

func TestSecurityHeadersAreSentOnEveryAnswer(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/healthz", "/api/v1/risk_points", "/no/such/path", "/"} {
		res := e.do("GET", path, "", nil, nil)
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
			if got := res.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", path, h, got, want)
			}
		}
		if res.Header.Get("X-Request-ID") == "" {
			t.Errorf("%s: no X-Request-ID", path)
		}
	}
}

func TestCORSIsClosedUnlessTheOriginIsAllowed(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.New(t, dbtest.Empty)
	s := &api.Server{Features: features.NewStore(pool), Auth: auth.NewService(pool, time.Hour, auth.NewLimiter(5, time.Minute)),
		DB: pool, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBody: 1 << 20,
		AllowedOrigins: []string{"https://map.example.gov.cn"}}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	cases := []struct {
		origin, method string
		status         int
		allow          string
	}{
		{"https://evil.example.com", "OPTIONS", 403, ""},
		{"https://evil.example.com", "GET", 200, ""},
		{"https://map.example.gov.cn", "OPTIONS", 204, "https://map.example.gov.cn"},
		{"https://map.example.gov.cn", "GET", 200, "https://map.example.gov.cn"},
	}
	for _, c := range cases {
		req, _ := http.NewRequestWithContext(ctx, c.method, srv.URL+"/healthz", nil)
		req.Header.Set("Origin", c.origin)
		req.Header.Set("Access-Control-Request-Method", "GET")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.status || res.Header.Get("Access-Control-Allow-Origin") != c.allow {
			t.Errorf("%s %s: %d allow %q, want %d %q", c.method, c.origin, res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"), c.status, c.allow)
		}
	}
}

func TestEveryDemoUserCanLogIn(t *testing.T) {
	pool := dbtest.New(t, dbtest.Demo)
	svc := auth.NewService(pool, time.Hour, auth.NewLimiter(5, time.Minute))
	for _, l := range demo.Logins() {
		_, _, u, err := svc.Login(context.Background(), l.Username, l.Password, "127.0.0.1")
		if err != nil || u.Role != l.Role {
			t.Errorf("%s: %v (role %v, want %s)", l.Username, err, u, l.Role)
		}
	}
}
