package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"riskmap/api"
	"riskmap/auth"
	"riskmap/features"
	"riskmap/tiles"
)

// Absolute URLs never come from a forged Host or X-Forwarded-* header: a
// client (GDAL with its auth header) would follow them elsewhere.
func TestAbsoluteURLsComeFromTheConfiguredAddressNotTheHostHeader(t *testing.T) {
	e := newEnv(t)
	server := func(configure func(*api.Server)) *httptest.Server {
		s := &api.Server{Features: features.NewStore(e.pool), Auth: auth.NewService(e.pool, time.Hour, auth.NewLimiter(50, time.Minute)),
			DB: e.pool, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBody: 1 << 20,
			Tiles: tiles.NewService(e.pool, tiles.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})}
		configure(s)
		srv := httptest.NewServer(s.Handler())
		t.Cleanup(srv.Close)
		return srv
	}
	fetch := func(srv *httptest.Server, path, host string, headers ...string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+e.token["admin"])
		if host != "" {
			req.Host = host
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("%s (Host %s): %d %s", path, host, res.StatusCode, b)
		}
		return string(b)
	}
	paths := []string{"/tiles/risk_points.json", "/styles/riskmap.json", "/ogc/collections/risk_points/items?limit=1", "/ogc"}
	forged := []string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil.example"}

	public := server(func(s *api.Server) { s.PublicURL = "https://map.example.gov.cn/riskmap/" })
	plain := server(func(s *api.Server) { s.DefaultBaseURL = "http://10.0.0.5:8080" })
	proxied := server(func(s *api.Server) {
		s.TrustedProxies = []string{"127.0.0.1"}
		s.DefaultBaseURL = "http://10.0.0.5:8080"
	})
	for _, p := range paths {
		cases := []struct {
			name, body, want string
		}{
			{"configured", fetch(public, p, "evil.example", forged...), "https://map.example.gov.cn/riskmap/"},
			{"not configured, forged Host", fetch(plain, p, "evil.example", forged...), "http://10.0.0.5:8080/"},
			{"not configured, loopback", fetch(plain, p, ""), strings.Replace(plain.URL, "https", "http", 1) + "/"},
			{"from a trusted proxy", fetch(proxied, p, "internal:8080", forged...), "https://evil.example/"},
		}
		for _, c := range cases {
			if !strings.Contains(c.body, c.want) {
				t.Errorf("%s, %s: no %s in %.300s", p, c.name, c.want, c.body)
			}
			if c.name != "from a trusted proxy" && strings.Contains(c.body, "evil.example") {
				t.Errorf("%s, %s: the forged host is in the answer: %.300s", p, c.name, c.body)
			}
		}
	}
}
