package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// requestLog counts what a server was asked.
type requestLog struct {
	mu   sync.Mutex
	uris []string
}

func (l *requestLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.uris = append(l.uris, r.URL.RequestURI())
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (l *requestLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.uris
	l.uris = nil
	return out
}

func matching(uris []string, substr ...string) []string {
	var out []string
	for _, u := range uris {
		ok := true
		for _, s := range substr {
			ok = ok && strings.Contains(u, s)
		}
		if ok {
			out = append(out, u)
		}
	}
	return out
}

// gdal runs a GDAL command line with the bearer token, failing the test
// on an error.
func gdal(t *testing.T, token string, args ...string) string {
	t.Helper()
	args = append(args, "--config", "GDAL_HTTP_HEADERS", "Authorization: Bearer "+token, "--config", "CPL_DEBUG", "OFF")
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args[:min(len(args), 6)], " "), err, out)
	}
	return string(out)
}

// TestGDALReadsTheOGCAPIAsQGISWould drives GDAL's OAPIF driver (the one
// QGIS uses) against a running server and counts what the server was
// asked: the collections include cases, a -where on a queryable is
// answered by the server, a layer of 12,000 features comes in a handful
// of requests with GDAL's own page size, and a datetime interval returns
// what changed in it.
func TestGDALReadsTheOGCAPIAsQGISWould(t *testing.T) {
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		t.Fatal("ogr2ogr (gdal-bin) is needed: make test installs it")
	}
	e := newEnv(t)
	ctx := context.Background()
	const n = 12000
	if _, err := e.pool.Exec(ctx, `INSERT INTO risk_points (external_id, name, category, risk_level, geom)
		SELECT 'G' || i, '点' || i, CASE WHEN i % 10 = 0 THEN 'fire' ELSE 'flood' END, 1 + i % 4,
		       ST_SetSRID(ST_Point(115.001 + (i % 400) * 0.002, 22.501 + (i / 400) * 0.002), 4326)
		  FROM generate_series(1, $1) i`, n); err != nil {
		t.Fatal(err)
	}
	var log requestLog
	srv := httptest.NewServer(log.wrap(e.handler))
	defer srv.Close()
	tok := e.token["admin"]
	oapif := "OAPIF:" + srv.URL + "/ogc"

	out := gdal(t, tok, "ogrinfo", "-ro", "-q", oapif)
	for _, c := range []string{"risk_points", "grids", "cases"} {
		if !strings.Contains(out, c) {
			t.Errorf("ogrinfo lists no %s:\n%s", c, out)
		}
	}

	// the whole layer, with GDAL's default page size
	log.take()
	out = gdal(t, tok, "ogr2ogr", "-f", "GeoJSONSeq", "/vsistdout/", oapif, "risk_points")
	if got := strings.Count(out, `"type": "Feature"`) + strings.Count(out, `"type":"Feature"`); got != n {
		t.Fatalf("ogr2ogr read %d features, want %d", got, n)
	}
	reqs := log.take()
	items := matching(reqs, "/ogc/collections/risk_points/items")
	t.Logf("ogr2ogr of %d features: %d requests, %d of them for items", n, len(reqs), len(items))
	if len(reqs)*10000 >= 10*n {
		t.Errorf("%d requests for %d features (want fewer than 10 per 10,000): %v", len(reqs), n, reqs)
	}

	// -where on a queryable goes to the server
	out = gdal(t, tok, "ogr2ogr", "-f", "GeoJSONSeq", "/vsistdout/", oapif, "risk_points", "-where", "category = 'fire'")
	if got := strings.Count(out, `"category": "fire"`); got != n/10 || strings.Contains(out, `"flood"`) {
		t.Fatalf("-where category = 'fire': %d fire features (want %d), flood ones: %v", got, n/10, strings.Contains(out, `"flood"`))
	}
	reqs = log.take()
	filtered := matching(reqs, "/ogc/collections/risk_points/items", "category=fire")
	if len(filtered) == 0 || len(matching(reqs, "/ogc/collections/risk_points/items")) != len(filtered)+1 {
		t.Errorf("the server was not asked to filter (every items request but GDAL's first look should carry category=fire): %v", reqs)
	}

	// a datetime interval: what changed in it
	time.Sleep(1100 * time.Millisecond)
	from := time.Now().UTC().Truncate(time.Second)
	if _, err := e.pool.Exec(ctx, `UPDATE risk_points SET name = name || '改' WHERE external_id IN ('G7', 'G8', 'G1234')`); err != nil {
		t.Fatal(err)
	}
	to := time.Now().UTC().Add(2 * time.Second).Truncate(time.Second)
	where := "updated_at >= '" + from.Format("2006/01/02 15:04:05") + "' AND updated_at <= '" + to.Format("2006/01/02 15:04:05") + "'"
	out = gdal(t, tok, "ogr2ogr", "-f", "GeoJSONSeq", "/vsistdout/", oapif, "risk_points", "-where", where)
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var f struct {
			Properties struct {
				ExternalID string `json:"external_id"`
			} `json:"properties"`
		}
		if json.Unmarshal([]byte(strings.TrimPrefix(line, "\x1e")), &f) == nil && f.Properties.ExternalID != "" {
			got = append(got, f.Properties.ExternalID)
		}
	}
	if strings.Join(got, ",") != "G7,G8,G1234" {
		t.Errorf("datetime interval: %v, want G7, G8 and G1234", got)
	}
	if reqs := log.take(); len(matching(reqs, "datetime=")) == 0 {
		t.Errorf("the interval was not sent as datetime: %v", reqs)
	}
}
