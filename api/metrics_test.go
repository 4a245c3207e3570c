package api_test

import (
	"context"
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
	"riskmap/internal/dbtest"
	"riskmap/metrics"
)

func TestMetricsCountRequestsPerRouteAndThePool(t *testing.T) {
	pool := dbtest.New(t, dbtest.Empty)
	m := metrics.New()
	m.RegisterPool(pool)
	m.GaugeByLabel("riskmap_test_layers", "test", "layer", time.Second, func(ctx context.Context) (map[string]float64, error) {
		return map[string]float64{"grids": 3}, nil
	})
	s := &api.Server{Features: features.NewStore(pool), Auth: auth.NewService(pool, time.Hour, auth.NewLimiter(5, time.Minute)),
		DB: pool, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBody: 1 << 20, Metrics: m}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	for _, p := range []string{"/healthz", "/healthz", "/api/v1/risk_points/17"} {
		res, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	text := string(body)
	for _, want := range []string{
		`riskmap_http_requests_total{method="GET",route="/healthz",status="200"} 2`,
		`riskmap_http_requests_total{method="GET",route="/api/v1/risk_points/:id",status="401"} 1`,
		`riskmap_http_request_duration_seconds_bucket{method="GET",route="/healthz"`,
		"riskmap_db_pool_max_conns 8",
		`riskmap_test_layers{layer="grids"} 3`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
