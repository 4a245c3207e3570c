package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"riskmap/api"
	"riskmap/blobs"
	"riskmap/cases"
	"riskmap/coverage"
	"riskmap/features"
	"riskmap/importers"
	"riskmap/inspections"
	"riskmap/metrics"
	"riskmap/notify"
	"riskmap/patrols"
)

var ginParam = regexp.MustCompile(`[:*]([A-Za-z_]+)`)

// TestOpenAPIDocumentsEveryRoute builds the server with the optional
// services (add each new one here), so their routes are registered, and fails for each route the
// OpenAPI description lacks: whoever adds a route documents it in
// api/openapi.go.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	e := newEnv(t)
	store, err := blobs.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &api.Server{
		Features: features.NewStore(e.pool),
		Logger:   logger,
		Cases:    cases.NewStore(e.pool, store, cases.DefaultConfig()),
		CaseFeed: cases.NewFeed(e.pool, logger),
		Metrics:  metrics.New(),
		Imports:  importers.NewJobs(e.pool, logger),
		Coverage: coverage.NewService(e.pool, coverage.Config{}),
	}
	s.Notify = notify.New(e.pool, s.Cases, notify.Config{Logger: logger})
	s.Patrols = patrols.NewStore(e.pool, store, s.Cases, patrols.Config{})
	s.Inspections = inspections.NewStore(e.pool, s.Cases, s.Patrols, inspections.Config{})
	spec := s.OpenAPI()
	if _, err := json.Marshal(spec); err != nil {
		t.Fatalf("the description does not encode: %v", err)
	}
	paths := spec["paths"].(map[string]any)
	for _, r := range s.Routes() {
		p := ginParam.ReplaceAllString(r.Path, "{$1}")
		if p == "/tiles/{path}" {
			p = "/tiles/{layer}/{z}/{x}/{y}.mvt" // one route, documented as its templated paths
		}
		item, ok := paths[p].(map[string]any)
		if !ok || item[strings.ToLower(r.Method)] == nil {
			t.Errorf("route %s %s is not in the OpenAPI description (api/openapi.go)", r.Method, p)
		}
	}
}

func TestOpenAPIIsReadableWithoutAToken(t *testing.T) {
	e := newEnv(t)
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	res := e.do("GET", "/openapi.json", "", nil, &doc)
	if res.StatusCode != 200 || doc.OpenAPI != "3.0.3" || doc.Paths["/api/v1/risk_points/{id}"]["patch"] == nil || doc.Paths["/ogc/collections/{layer}/items"]["get"] == nil {
		t.Fatalf("%d %s…", res.StatusCode, res.Body[:min(200, len(res.Body))])
	}
}
