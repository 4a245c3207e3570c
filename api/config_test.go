package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"riskmap/api"
	"riskmap/audit"
	"riskmap/auth"
	"riskmap/features"
)

func TestBasemapURLsMustBeXYZTemplates(t *testing.T) {
	for _, c := range []struct {
		in, err string
		n       int
	}{
		{"", "", 0},
		{"https://t0.example.cn/img_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=k, https://t1.example.cn/img_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=k", "", 2},
		{"ftp://x/{z}/{x}/{y}", "not an http(s) URL", 0},
		{"https://x/{z}/{x}.png", "lacks the placeholder {y}", 0},
	} {
		got, err := api.ParseBasemapURLs("--basemap", c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "--basemap") {
				t.Errorf("%q: error %v, want one naming --basemap and %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || len(got) != c.n {
			t.Errorf("%q: %v %v, want %d URLs", c.in, got, err, c.n)
		}
	}
}

func TestConfigTellsTheBasemapAndThePageMayFetchOnlyItsHosts(t *testing.T) {
	e := newEnv(t)
	var got map[string]any
	if res := e.do("GET", "/api/v1/config", "worker1", nil, &got); res.StatusCode != 200 || got["basemap"] != nil {
		t.Fatalf("config without a basemap: %d %s, want basemap null", res.StatusCode, res.Body)
	}
	if res := e.do("GET", "/api/v1/config", "", nil, nil); res.StatusCode != 401 {
		t.Errorf("config without a token: %d, want 401", res.StatusCode)
	}
	for _, c := range []struct {
		name    string
		basemap *api.Basemap
		want    []string
		not     string
	}{
		{"no basemap: this server only", nil, []string{"connect-src 'self'", "img-src 'self' data: blob:;"}, "example.cn"},
		{"basemap: its hosts too", &api.Basemap{Tiles: []string{"https://t0.example.cn/{z}/{x}/{y}.png"}, Labels: []string{"https://t1.example.cn/{z}/{x}/{y}.png"}, Attribution: "天地图"},
			[]string{"connect-src 'self' https://t0.example.cn https://t1.example.cn", "img-src 'self' data: blob: https://t0.example.cn https://t1.example.cn;"}, "https:;"},
	} {
		s := &api.Server{
			Features: features.NewStore(e.pool),
			Auth:     auth.NewService(e.pool, time.Hour, auth.NewLimiter(50, time.Minute)),
			Audit:    audit.NewLog(e.pool),
			DB:       e.pool,
			Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
			MaxBody:  64 << 10,
			Web:      fstest.MapFS{"index.html": {Data: []byte("<html>app</html>")}},
			Basemap:  c.basemap,
		}
		srv := httptest.NewServer(s.Handler())
		res, err := http.Get(srv.URL + "/board")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		csp := res.Header.Get("Content-Security-Policy")
		for _, w := range c.want {
			if !strings.Contains(csp, w) {
				t.Errorf("%s: CSP %q lacks %q", c.name, csp, w)
			}
		}
		if strings.Contains(csp, c.not) {
			t.Errorf("%s: CSP %q has %q", c.name, csp, c.not)
		}
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/config", nil)
		req.Header.Set("Authorization", "Bearer "+e.token["worker1"])
		res, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var cfg struct {
			Basemap *api.Basemap `json:"basemap"`
		}
		err = json.NewDecoder(res.Body).Decode(&cfg)
		res.Body.Close()
		if err != nil || (c.basemap == nil) != (cfg.Basemap == nil) || (cfg.Basemap != nil && (len(cfg.Basemap.Tiles) != 1 || cfg.Basemap.Attribution != "天地图")) {
			t.Errorf("%s: config %+v %v", c.name, cfg.Basemap, err)
		}
		srv.Close()
	}
}
