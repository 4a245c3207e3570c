package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"riskmap/api"
	"riskmap/audit"
	"riskmap/auth"
	"riskmap/features"
	"riskmap/internal/dbtest"
	"riskmap/internal/mvttest"
	"riskmap/metrics"
	"riskmap/tiles"
)

// The tile tests' city (dbtest.TileCity) with a risk point in each grid.
const tilePointsSQL = `
INSERT INTO risk_points (name, category, risk_level, geom) VALUES
 ('西点', 'flood', 1, ST_SetSRID(ST_Point(115.20, 23.00), 4326)),
 ('中点', 'fire', 2, ST_SetSRID(ST_Point(115.30, 23.00), 4326)),
 ('东点', 'geological', 3, ST_SetSRID(ST_Point(115.70, 23.00), 4326));
`

type tileEnv struct {
	t     testing.TB
	pool  *pgxpool.Pool
	srv   *httptest.Server
	h     http.Handler // what srv serves
	s     *api.Server
	tiles *tiles.Service
	token map[string]string
	log   *lockedBuffer // the server's log
}

// lockedBuffer is a log sink requests may write to at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newTileEnv(t testing.TB, configure ...func(*api.Server)) *tileEnv {
	t.Helper()
	ctx := context.Background()
	pool := dbtest.TileCity(t)
	if _, err := pool.Exec(ctx, tilePointsSQL); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	log := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(log, nil))
	svc := auth.NewService(pool, time.Hour, auth.NewLimiter(50, time.Minute))
	ts := tiles.NewService(pool, tiles.Options{CacheBytes: 32 << 20, Logger: logger})
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	cfg := pool.Config().ConnConfig
	authDone := make(chan struct{})
	go func() {
		defer close(done)
		_ = ts.Listen(lctx, func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfg.Copy()) })
	}()
	go func() {
		defer close(authDone)
		_ = svc.Listen(lctx, func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfg.Copy()) }, logger)
	}()
	t.Cleanup(func() { cancel(); <-done; <-authDone })
	for deadline := time.Now().Add(10 * time.Second); !ts.Live(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("tile listener did not start")
		}
	}
	s := &api.Server{Features: features.NewStore(pool), Auth: svc, Audit: audit.NewLog(pool), DB: pool,
		Logger: logger, MaxBody: 64 << 10, Tiles: ts}
	for _, f := range configure {
		f(s)
	}
	h := s.Handler()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnContext = api.WithTokenMemo // as HTTPServer's
	srv.Start()
	e := &tileEnv{t: t, pool: pool, srv: srv, h: h, s: s, tiles: ts, token: map[string]string{}, log: log}
	t.Cleanup(e.srv.Close)
	for _, u := range []auth.UserSpec{
		{Username: "admin", Role: "admin", Password: "admin-pass-1"},
		{Username: "xingang", Role: "township", Areas: []string{"441502001000"}, Password: "xingang-pass-1"},
		{Username: "worker1", Role: "worker", Grids: []string{"441502001001001"}, Password: "worker1-pass-1"},
	} {
		if _, err := svc.SaveUser(ctx, u); err != nil {
			t.Fatalf("user %s: %v", u.Username, err)
		}
		tok, _, _, err := svc.Login(ctx, u.Username, u.Password, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		e.token[u.Username] = tok
	}
	return e
}

// get requests path with a raw token ("" for none) and extra headers.
func (e *tileEnv) get(path, token string, headers ...string) response {
	e.t.Helper()
	return e.send("GET", path, token, "", headers...)
}

func (e *tileEnv) send(method, path, token, body string, headers ...string) response {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return response{StatusCode: res.StatusCode, Header: res.Header, Body: data}
}

// tileOf is the z/x/y path part of the tile holding lon/lat, and where the
// point falls in it.
func tileOf(z int, lon, lat float64) (string, orb.Point) {
	n := math.Exp2(float64(z))
	fx := (lon + 180) / 360 * n
	fy := (1 - math.Asinh(math.Tan(lat*math.Pi/180))/math.Pi) / 2 * n
	x, y := math.Floor(fx), math.Floor(fy)
	return fmt.Sprintf("%d/%d/%d", z, int(x), int(y)), orb.Point{math.Round((fx - x) * 4096), math.Round((fy - y) * 4096)}
}

func TestTilePathsThatAreWrongAnswer4xxWithAJSONError(t *testing.T) {
	e := newTileEnv(t)
	tok := e.token["admin"]
	for _, c := range []struct {
		path   string
		status int
		field  string
	}{
		{"/tiles/risk_points/23/0/0.mvt", 400, "z"},
		{"/tiles/risk_points/-1/0/0.mvt", 400, "z"},
		{"/tiles/risk_points/1/2/0.mvt", 400, "x"},
		{"/tiles/risk_points/1/0/2.mvt", 400, "y"},
		{"/tiles/risk_points/1/-1/0.mvt", 400, "x"},
		{"/tiles/risk_points/a/0/0.mvt", 400, "z"},
		{"/tiles/risk_points/1/0/b.mvt", 400, "y"},
		{"/tiles/risk_points/1/0/.mvt", 400, "y"},
		{"/tiles/risk_points/99999999999999999999/0/0.mvt", 400, "z"},
		{"/tiles/risk_points/1.5/0/0.mvt", 400, "z"},
		{"/tiles/risk_points/+1/0/0.mvt", 400, "z"},
		{"/tiles/risk_points/22/4194304/0.mvt", 400, "x"},
		{"/tiles/no_such_layer/1/0/0.mvt", 404, "layer"},
		{"/tiles/no_such_layer.json", 404, "layer"},
		{"/tiles/risk_points/1/0/0.png", 404, ""},
		{"/tiles/risk_points/1/0.mvt", 404, ""},
		{"/tiles/risk_points/1/0/0/0.mvt", 404, ""},
		{"/tiles/risk_points", 404, ""},
		{"/tiles/", 404, ""},
		{"/tiles/risk_points/1/0/0.mvt%00", 400, "path"}, // a NUL is refused before routing (api/input.go)
		{"/tiles/%27%3B%20DROP%20TABLE%20risk_points%3B--/1/0/0.mvt", 404, "layer"},
		{"/tiles/risk_points/1/0/0%27%20OR%201=1.mvt", 400, "y"},
	} {
		res := e.get(c.path, tok)
		var body struct {
			Error struct {
				Code    string
				Message string
				Details []struct{ Field string }
			}
		}
		if res.StatusCode != c.status || json.Unmarshal(res.Body, &body) != nil || body.Error.Message == "" {
			t.Errorf("%s: %d %s, want %d with a JSON error", c.path, res.StatusCode, res.Body, c.status)
			continue
		}
		if c.field != "" && (len(body.Error.Details) == 0 || body.Error.Details[0].Field != c.field) {
			t.Errorf("%s: error %s does not name %s", c.path, res.Body, c.field)
		}
	}
	var n int
	if err := e.pool.QueryRow(context.Background(), "SELECT count(*) FROM risk_points").Scan(&n); err != nil || n != 3 {
		t.Fatalf("risk points after the bad paths: %d, %v", n, err)
	}
}

func TestTilesNeedAValidTokenAndForgetItOnLogout(t *testing.T) {
	e := newTileEnv(t)
	path := "/tiles/risk_points/10/839/445.mvt"
	if res := e.get(path, ""); res.StatusCode != 401 {
		t.Fatalf("no token: %d", res.StatusCode)
	}
	if res := e.get(path, "rm_forged"); res.StatusCode != 401 {
		t.Fatalf("forged token: %d", res.StatusCode)
	}
	tok := e.token["xingang"]
	for _, p := range []string{path, path, "/tiles/all.json", "/styles/riskmap.json"} {
		if res := e.get(p, tok); res.StatusCode >= 300 {
			t.Fatalf("%s: %d %s", p, res.StatusCode, res.Body)
		}
		if res := e.get(p, ""); res.StatusCode != 401 {
			t.Fatalf("%s without a token: %d", p, res.StatusCode)
		}
	}
	if res := e.send("POST", "/api/v1/auth/logout", tok, ""); res.StatusCode >= 300 {
		t.Fatalf("logout: %d %s", res.StatusCode, res.Body)
	}
	// the token was remembered for tiles, and on the kept-alive
	// connection the tiles came on (its auth.Memo); the logout must have
	// made both forget it
	if res := e.get(path, tok); res.StatusCode != 401 {
		t.Fatalf("tile after logout: %d", res.StatusCode)
	}
}

func TestTileResponsesCarryETagCacheControlAnd304And204(t *testing.T) {
	e := newTileEnv(t)
	tok := e.token["admin"]
	z12, _ := tileOf(12, 115.30, 23.00)
	path := "/tiles/risk_points/" + z12 + ".mvt"
	first := e.get(path, tok)
	if first.StatusCode != 200 || first.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
		t.Fatalf("%s: %d %s", path, first.StatusCode, first.Header.Get("Content-Type"))
	}
	etag := first.Header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || first.Header.Get("Cache-Control") != "private, no-cache" || first.Header.Get("X-Cache") != "MISS" {
		t.Fatalf("headers: %v", first.Header)
	}
	if ml := mvttest.Decode(t, first.Body)["risk_points"]; ml == nil || len(ml.Features) == 0 {
		t.Fatal("no risk points in the tile")
	}
	second := e.get(path, tok) // from the tile cache
	// a cached tile carries no X-Cache (only a tile made for the request says MISS)
	if second.Header.Values("X-Cache") != nil || second.Header.Get("ETag") != etag || string(second.Body) != string(first.Body) {
		t.Fatalf("second request: X-Cache %q, ETag %s", second.Header.Get("X-Cache"), second.Header.Get("ETag"))
	}
	for _, h := range []string{"Content-Type", "Cache-Control", "Vary", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy"} {
		if first.Header.Get(h) == "" || second.Header.Get(h) != first.Header.Get(h) {
			t.Errorf("%s: %q made, %q from the cache", h, first.Header.Get(h), second.Header.Get(h))
		}
	}
	if res := e.get(path, tok, "If-None-Match", etag); res.StatusCode != 304 || len(res.Body) != 0 {
		t.Fatalf("If-None-Match: %d with %d bytes", res.StatusCode, len(res.Body))
	}
	if res := e.get(path, tok, "If-None-Match", `"other", W/`+etag); res.StatusCode != 304 {
		t.Fatalf("If-None-Match list: %d", res.StatusCode)
	}
	if res := e.get(path, tok, "If-None-Match", `"stale"`); res.StatusCode != 200 {
		t.Fatalf("stale If-None-Match: %d", res.StatusCode)
	}
	// the other side of the world holds nothing: 204, no body, cached or not
	for _, want := range []string{"MISS", ""} {
		if res := e.get("/tiles/all/12/10/10.mvt", tok); res.StatusCode != 204 || len(res.Body) != 0 || res.Header.Get("X-Cache") != want {
			t.Fatalf("empty tile: %d with %d bytes, %s", res.StatusCode, len(res.Body), res.Header.Get("X-Cache"))
		}
	}
	// another user of the same scope shares the cached tile; a forged token does not
	if res := e.get(path, "rm_forged", "If-None-Match", etag); res.StatusCode != 401 {
		t.Fatalf("forged token on a cached tile: %d", res.StatusCode)
	}
	// grids are not drawn below z10
	if res := e.get("/tiles/grids/9/419/222.mvt", tok); res.StatusCode != 204 {
		t.Fatalf("grids at z9: %d", res.StatusCode)
	}
}

// Tiles are counted, not logged, unless they fail: a failed tile is
// answered with the API's JSON error, its request id and a log line.
func TestATileThatFailsIsAnsweredAndLoggedAsAnyRequest(t *testing.T) {
	e := newTileEnv(t)
	tok := e.token["xingang"]
	z12, _ := tileOf(12, 115.30, 23.00)
	z14, _ := tileOf(14, 115.30, 23.00)
	for _, z := range []string{z12, z14, z14} { // a miss with the token looked up, a miss, a hit
		// identity: Go's client would ask for gzip and drop Content-Length as it unzips
		res := e.get("/tiles/risk_points/"+z+".mvt", tok, "Accept-Encoding", "identity")
		if res.StatusCode != 200 || res.Header.Get("ETag") == "" || res.Header.Get("Content-Length") != fmt.Sprint(len(res.Body)) {
			t.Fatalf("%s: %d, ETag %q, Content-Length %q for %d bytes", z, res.StatusCode, res.Header.Get("ETag"),
				res.Header.Get("Content-Length"), len(res.Body))
		}
		// the township sees its own point (中点; clustered at z12), not the other township's
		if ml := mvttest.Decode(t, res.Body)["risk_points"]; ml == nil || len(ml.Features) != 1 || z == z14 && ml.Features[0].Properties["name"] != "中点" {
			t.Fatalf("%s holds %v", z, ml)
		}
	}
	if n := strings.Count(e.log.String(), "msg=request"); n != 0 {
		t.Errorf("%d log lines for tiles that were answered", n)
	}
	if _, err := e.pool.Exec(context.Background(), "ALTER TABLE risk_points RENAME COLUMN status TO status_gone"); err != nil {
		t.Fatal(err)
	}
	z15, _ := tileOf(15, 115.30, 23.00)
	failed := e.get("/tiles/risk_points/"+z15+".mvt", tok, "X-Request-ID", "req-15")
	if failed.StatusCode != 500 || !strings.Contains(string(failed.Body), `"code":"internal"`) ||
		failed.Header.Get("X-Request-ID") != "req-15" || failed.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("failing tile: %d %v %s", failed.StatusCode, failed.Header, failed.Body)
	}
	if log := e.log.String(); !strings.Contains(log, "status=500") || !strings.Contains(log, "request_id=req-15") {
		t.Errorf("no log line for the failed tile:\n%s", log)
	}
}

func TestTileJSONDescribesTheLayerTheDataAndItsFields(t *testing.T) {
	e := newTileEnv(t)
	var tj struct {
		TileJSON     string     `json:"tilejson"`
		Tiles        []string   `json:"tiles"`
		MinZoom      int        `json:"minzoom"`
		MaxZoom      int        `json:"maxzoom"`
		Bounds       [4]float64 `json:"bounds"`
		VectorLayers []struct {
			ID      string            `json:"id"`
			Fields  map[string]string `json:"fields"`
			MinZoom int               `json:"minzoom"`
		} `json:"vector_layers"`
	}
	res := e.get("/tiles/risk_points.json", e.token["xingang"])
	if res.StatusCode != 200 || json.Unmarshal(res.Body, &tj) != nil {
		t.Fatalf("%d %s", res.StatusCode, res.Body)
	}
	if tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 || tj.Tiles[0] != e.srv.URL+"/tiles/risk_points/{z}/{x}/{y}.mvt" {
		t.Fatalf("%s", res.Body)
	}
	// the township's two points, not the third one in 香洲
	if !near(tj.Bounds, [4]float64{115.2, 23, 115.3, 23}) {
		t.Errorf("bounds %v, want the township's points [115.2 23 115.3 23]", tj.Bounds)
	}
	if tj.MinZoom != 0 || tj.MaxZoom != tiles.ClientMaxZoom || len(tj.VectorLayers) != 1 {
		t.Fatalf("%s", res.Body)
	}
	f := tj.VectorLayers[0].Fields
	if tj.VectorLayers[0].ID != "risk_points" || f["risk_level"] != "Number" || f["name"] != "String" || f["point_count"] != "Number" || f["township_code"] != "String" {
		t.Fatalf("fields %v", f)
	}
	res = e.get("/tiles/all.json", e.token["admin"])
	if res.StatusCode != 200 || json.Unmarshal(res.Body, &tj) != nil || len(tj.VectorLayers) != 9 { // with risk_areas, roads, places
		t.Fatalf("all: %d %s", res.StatusCode, res.Body)
	}
	for _, vl := range tj.VectorLayers {
		if vl.ID == "grids" && (vl.MinZoom != 10 || vl.Fields["open_cases"] != "Number" || vl.Fields["code"] != "String") {
			t.Errorf("grids: %+v", vl)
		}
	}
	if !near(tj.Bounds, [4]float64{115, 22.5, 116, 23.5}) {
		t.Errorf("all bounds %v", tj.Bounds)
	}
}

// near compares boxes to 1e-4 degrees (PostGIS keeps boxes in single
// precision, rounded outwards).
func near(a, b [4]float64) bool {
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-4 {
			return false
		}
	}
	return true
}

// The style is valid JSON for MapLibre: version 8, every layer draws from a
// source it declares and a source layer the tiles have, with the docs/domain.md
// colours for the four risk levels.
func TestTheStyleReferencesOnlySourcesAndLayersThatExist(t *testing.T) {
	e := newTileEnv(t)
	tok := e.token["admin"]
	res := e.get("/styles/riskmap.json", tok)
	var style struct {
		Version int    `json:"version"`
		Glyphs  string `json:"glyphs"`
		Sources map[string]struct {
			Type string `json:"type"`
			URL  string `json:"url"`
		} `json:"sources"`
		Layers []map[string]any `json:"layers"`
	}
	if res.StatusCode != 200 || json.Unmarshal(res.Body, &style) != nil {
		t.Fatalf("%d %s", res.StatusCode, res.Body)
	}
	if style.Version != 8 || style.Glyphs != e.srv.URL+"/fonts/{fontstack}/{range}.pbf" {
		t.Fatalf("version %d glyphs %s", style.Version, style.Glyphs)
	}
	sourceLayers := map[string]map[string]bool{}
	for name, src := range style.Sources {
		if src.Type != "vector" || !strings.HasPrefix(src.URL, e.srv.URL+"/tiles/") {
			t.Fatalf("source %s: %+v", name, src)
		}
		var tj struct {
			VectorLayers []struct{ ID string } `json:"vector_layers"`
		}
		r := e.get(strings.TrimPrefix(src.URL, e.srv.URL), tok)
		if r.StatusCode != 200 || json.Unmarshal(r.Body, &tj) != nil {
			t.Fatalf("source %s TileJSON: %d", name, r.StatusCode)
		}
		sourceLayers[name] = map[string]bool{}
		for _, vl := range tj.VectorLayers {
			sourceLayers[name][vl.ID] = true
		}
	}
	ids := map[string]bool{}
	types := map[string]bool{"background": true, "fill": true, "line": true, "circle": true, "symbol": true}
	for _, l := range style.Layers {
		id, _ := l["id"].(string)
		if id == "" || ids[id] {
			t.Errorf("layer id %q missing or repeated", id)
		}
		ids[id] = true
		if typ, _ := l["type"].(string); !types[typ] {
			t.Errorf("layer %s: type %v", id, l["type"])
		}
		if l["type"] == "background" {
			continue
		}
		src, _ := l["source"].(string)
		sl, _ := l["source-layer"].(string)
		if sourceLayers[src] == nil || !sourceLayers[src][sl] {
			t.Errorf("layer %s: source %q source-layer %q do not exist", id, src, sl)
		}
	}
	for _, c := range []string{"#E53935", "#FB8C00", "#FDD835", "#1E88E5"} {
		if !strings.Contains(string(res.Body), c) {
			t.Errorf("the style lacks the risk colour %s", c)
		}
	}
	for _, want := range []string{"risk-points", "risk-points-cluster", "hazard-sources", "grids-line", "grids-code", "stations", "depots"} {
		if !ids[want] {
			t.Errorf("the style has no layer %s", want)
		}
	}
}

// A tile asked for after a write through the API was answered shows the
// write, at every attempt, while other clients keep reading the same tiles.
func TestATileAfterAnAPIWriteShowsItEvenUnderConcurrentReads(t *testing.T) {
	e := newTileEnv(t)
	tok := e.token["admin"]
	var id int64
	if err := e.pool.QueryRow(context.Background(), "SELECT id FROM risk_points WHERE name = '中点'").Scan(&id); err != nil {
		t.Fatal(err)
	}
	spots := [2][2]float64{{115.3000, 23.0000}, {115.3010, 23.0007}}
	z16, _ := tileOf(16, spots[0][0], spots[0][1])
	if other, _ := tileOf(16, spots[1][0], spots[1][1]); other != z16 {
		t.Fatal("both spots must lie in one z16 tile")
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				for _, p := range []string{"/tiles/risk_points/" + z16 + ".mvt", "/tiles/all/" + z16 + ".mvt"} {
					req, _ := http.NewRequest("GET", e.srv.URL+p, nil)
					req.Header.Set("Authorization", "Bearer "+tok)
					if res, err := http.DefaultClient.Do(req); err == nil {
						_, _ = io.Copy(io.Discard, res.Body)
						res.Body.Close()
					}
				}
			}
		}()
	}
	defer func() { stop.Store(true); wg.Wait() }()
	for i := 1; i <= 25; i++ {
		at := spots[i%2]
		body := fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[%v,%v]},"properties":{}}`, at[0], at[1])
		if res := e.send("PATCH", fmt.Sprintf("/api/v1/risk_points/%d", id), tok, body, "Content-Type", "application/json"); res.StatusCode != 200 {
			t.Fatalf("patch: %d %s", res.StatusCode, res.Body)
		}
		_, want := tileOf(16, at[0], at[1])
		for _, layer := range []string{"risk_points", "all"} {
			res := e.get("/tiles/"+layer+"/"+z16+".mvt", tok)
			found := false
			for _, f := range mvttest.Decode(t, res.Body)["risk_points"].Features {
				if f.ID == float64(id) {
					found = true
					if p := f.Geometry.(orb.Point); p != want {
						t.Fatalf("round %d %s: the point shows at %v, want %v (X-Cache %s)", i, layer, p, want, res.Header.Get("X-Cache"))
					}
				}
			}
			if !found {
				t.Fatalf("round %d %s: the point is missing", i, layer)
			}
		}
	}
}

func TestAWorkersTilesHoldOnlyTheirGrids(t *testing.T) {
	e := newTileEnv(t)
	z8, _ := tileOf(8, 115.2, 23.0)
	res := e.get("/tiles/all/"+z8+".mvt", e.token["worker1"])
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, res.Body)
	}
	layers := mvttest.Decode(t, res.Body)
	rp := layers["risk_points"]
	if rp == nil || len(rp.Features) != 1 || rp.Features[0].Properties["point_count"] != 1.0 || rp.Features[0].Properties["risk_level"] != 1.0 {
		t.Fatalf("worker1's z8 clusters: %+v", rp)
	}
	z14, _ := tileOf(14, 115.25, 23.0) // on the edge of grids 001 and 002
	for name, ml := range mvttest.Decode(t, e.get("/tiles/all/"+z14+".mvt", e.token["worker1"]).Body) {
		for _, f := range ml.Features {
			code, _ := f.Properties["grid_code"].(string)
			if name == "grids" || name == "risk_areas" {
				// the four-colour layer names its area by code; a worker's
				// scope holds only the grid itself, never its township
				code, _ = f.Properties["code"].(string)
			}
			// areas hold the grid; the basemap (roads, place names) is everyone's
			if name != "areas" && name != "roads" && name != "places" && code != "441502001001001" {
				t.Errorf("worker1 sees %s %v of grid %s", name, f.ID, code)
			}
		}
	}
	admin := mvttest.Decode(t, e.get("/tiles/all/"+z14+".mvt", e.token["admin"]).Body)
	if len(admin["grids"].Features) != 2 {
		t.Fatalf("the administrator's tile should hold both grids: %d", len(admin["grids"].Features))
	}
}

// A tile answered from the caches (the tile, the token, the scope's key)
// allocates nothing in the handler, with the server's metrics on: the warm
// path is what a map's hundreds of tiles a view cost. The request's
// deadline is made only when the database is asked. Measured on the
// handler itself with a response writer that reuses its header map.
func TestACachedTileAllocatesNothing(t *testing.T) {
	e := newTileEnv(t, func(s *api.Server) { s.Metrics = metrics.New() })
	// a tile of 1 KB and more, which is gzipped for a client that asks
	if _, err := e.pool.Exec(context.Background(), `INSERT INTO risk_points (name, category, risk_level, address, geom)
		SELECT '压缩点' || i, 'flood', 1 + i % 4, '海滨大道' || i || '号', ST_SetSRID(ST_Point(115.01 + i * 0.0004, 22.6 + i * 0.0003), 4326)
		  FROM generate_series(1, 400) i`); err != nil {
		t.Fatal(err)
	}
	large := "/tiles/risk_points/14/13428/7134.mvt"
	z16, _ := tileOf(16, 115.30, 23.00)
	west, _ := tileOf(16, 115.20, 23.00) // 西点, in worker1's grid
	for _, c := range []struct {
		user, path, ifNoneMatch, encodings string
		status                             int
	}{
		{"admin", "/tiles/risk_points/" + z16 + ".mvt", "", "", http.StatusOK},
		{"xingang", "/tiles/all/" + z16 + ".mvt?v=3", "", "", http.StatusOK}, // the map's reload counter
		{"worker1", "/tiles/all/" + west + ".mvt", "", "", http.StatusOK},
		{"admin", large, "", "", http.StatusOK},
		{"admin", "/tiles/all/14/13428/7134.mvt", "", "", http.StatusOK}, // over 2 KB: its own Content-Length
		{"admin", large, "", "gzip, deflate, br, zstd", http.StatusOK},   // a browser's
		{"xingang", "/tiles/all/" + z16 + ".mvt", "etag", "", http.StatusNotModified},
	} {
		for _, memo := range []bool{false, true} {
			req := httptest.NewRequest("GET", c.path, nil)
			if memo { // a connection of HTTPServer's, as in production
				req = req.WithContext(api.WithTokenMemo(req.Context(), nil))
			}
			req.Header.Set("Authorization", "Bearer "+e.token[c.user])
			if c.encodings != "" {
				req.Header.Set("Accept-Encoding", c.encodings)
			}
			w := &reusedWriter{h: http.Header{}}
			serve := func() {
				clear(w.h)
				w.status, w.n = 0, 0
				e.h.ServeHTTP(w, req)
			}
			serve() // made and cached
			if c.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", w.h.Get("ETag"))
			}
			serve()
			if w.status != c.status {
				t.Fatalf("%s as %s: status %d, want %d", c.path, c.user, w.status, c.status)
			}
			if w.n > 2048 && w.h.Get("Content-Length") != fmt.Sprint(w.n) {
				t.Errorf("%s as %s: Content-Length %q for %d bytes", c.path, c.user, w.h.Get("Content-Length"), w.n)
			}
			if got := w.h.Get("Content-Encoding"); (c.encodings != "") != (got == "gzip") {
				t.Fatalf("%s as %s, Accept-Encoding %q: Content-Encoding %q", c.path, c.user, c.encodings, got)
			}
			allocs := testing.AllocsPerRun(200, serve)
			t.Logf("%s as %s (token memo %v): %.1f allocations a cached tile (%d, %d bytes, Content-Length %q)", c.path, c.user, memo, allocs, c.status, w.n, w.h.Get("Content-Length"))
			if allocs != 0 {
				t.Errorf("%s as %s (token memo %v): %.1f allocations a cached tile, want none", c.path, c.user, memo, allocs)
			}
		}
	}
}

// reusedWriter is a ResponseWriter that keeps its header map and drops
// the body, so that only the handler's own allocations are counted.
type reusedWriter struct {
	h      http.Header
	status int
	n      int // bytes written
}

func (w *reusedWriter) Header() http.Header { return w.h }
func (w *reusedWriter) WriteHeader(s int)   { w.status = s }
func (w *reusedWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(b)
	return len(b), nil
}
