package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// coveredGrids decodes a coverage tile into grid code → covered.
func coveredGrids(t *testing.T, body []byte) map[string]bool {
	t.Helper()
	layers, err := mvt.Unmarshal(body)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(layers) != 1 || layers[0].Name != "coverage" {
		t.Fatalf("%d layers, want one named coverage", len(layers))
	}
	out := map[string]bool{}
	for _, f := range layers[0].Features {
		if f.Properties["kind"] == "grid" {
			out[f.Properties["code"].(string)] = f.Properties["covered"].(bool)
		}
	}
	return out
}

func TestCoverageTileLayerFollowsAWriteThroughTheAPI(t *testing.T) {
	e, _ := coverageEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_ = e.coverage.Listen(ctx, func(ctx context.Context) (*pgx.Conn, error) {
			return pgx.ConnectConfig(ctx, e.pool.Config().ConnConfig.Copy())
		})
	}()
	for deadline := time.Now().Add(10 * time.Second); !e.coverage.Live(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("coverage listener not live")
		}
	}
	tile := maptile.At(orb.Point{115.5, 23.0}, 8)
	path := fmt.Sprintf("/tiles/coverage/%d/%d/%d.mvt?facility=stations&max_distance_m=30000", tile.Z, tile.X, tile.Y)
	res := e.do("GET", path, "planner", nil, nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" || res.Header.Get("ETag") == "" {
		t.Fatalf("%d %s %v", res.StatusCode, res.Body, res.Header)
	}
	before := coveredGrids(t, res.Body)
	// the planner's scope is 城区: not 梅陇 of 海丰县
	if !before["441502001001001"] || before["441502001001002"] || len(before) != 3 {
		t.Fatalf("before: %v, want 立新第1网格 covered, 立新第2网格 not, three grids of 城区", before)
	}
	if again := e.do("GET", path, "planner", nil, nil); again.Header.Values("X-Cache") != nil { // cached: no X-Cache
		t.Errorf("second read X-Cache %q", again.Header.Get("X-Cache"))
	}
	if nm := e.do("GET", path, "planner", nil, nil, "If-None-Match", res.Header.Get("ETag")); nm.StatusCode != 304 {
		t.Errorf("If-None-Match: %d", nm.StatusCode)
	}
	// a rescue team opens in 立新第2网格: the answer to the write comes
	// after this replica's caches took it in, so the next tile shows it
	st := e.do("POST", "/api/v1/stations", "admin",
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[115.75,23.0]},"properties":{"name":"立新应急救援队","kind":"rescue_team"}}`, nil)
	if st.StatusCode != 201 {
		t.Fatalf("new station: %d %s", st.StatusCode, st.Body)
	}
	res = e.do("GET", path, "planner", nil, nil)
	if after := coveredGrids(t, res.Body); res.StatusCode != 200 || !after["441502001001002"] || res.Header.Get("X-Cache") != "MISS" {
		t.Errorf("after the new station: %d %s, %v", res.StatusCode, res.Header.Get("X-Cache"), after)
	}
}

func TestCoverageTileLayerRefusesByName(t *testing.T) {
	e, _ := coverageEnv(t)
	for _, c := range []struct {
		name, path, user string
		status           int
		field            string
	}{
		{"grid worker", "/tiles/coverage/8/209/111.mvt?facility=stations&max_distance_m=30000", "worker1", 403, ""},
		{"no token", "/tiles/coverage/8/209/111.mvt?facility=stations&max_distance_m=30000", "", 401, ""},
		{"no limit", "/tiles/coverage/8/209/111.mvt?facility=stations", "planner", 400, "max_distance_m"},
		{"limit not a number", "/tiles/coverage/8/209/111.mvt?facility=stations&max_distance_m=far", "planner", 400, "max_distance_m"},
		{"unknown facility", "/tiles/coverage/8/209/111.mvt?facility=hospitals&max_distance_m=5000", "planner", 400, "facility"},
		{"zoom above 22", "/tiles/coverage/23/0/0.mvt?facility=stations&max_distance_m=5000", "planner", 400, "z"},
		{"x beyond the zoom", "/tiles/coverage/2/9/0.mvt?facility=stations&max_distance_m=5000", "planner", 400, "x"},
		{"area outside scope", "/tiles/coverage/8/209/111.mvt?facility=stations&max_distance_m=5000&area=441521000000", "planner", 403, ""},
		{"TileJSON without a limit", "/tiles/coverage.json?facility=stations", "planner", 400, "max_distance_m"},
		{"TileJSON for a worker", "/tiles/coverage.json?facility=stations&max_distance_m=5000", "worker1", 403, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var er detailedError
			res := e.do("GET", c.path, c.user, nil, &er)
			if res.StatusCode != c.status {
				t.Fatalf("%d %s, want %d", res.StatusCode, res.Body, c.status)
			}
			if c.field != "" && (len(er.Error.Details) == 0 || er.Error.Details[0].Field != c.field) {
				t.Errorf("details %+v, want field %s", er.Error.Details, c.field)
			}
		})
	}
	// below the layer's zooms: no content
	if res := e.do("GET", "/tiles/coverage/5/26/13.mvt?facility=stations&max_distance_m=5000", "planner", nil, nil); res.StatusCode != 204 {
		t.Errorf("z5: %d, want 204", res.StatusCode)
	}
}

func TestCoverageTileJSONCarriesTheQuery(t *testing.T) {
	e, _ := coverageEnv(t)
	var tj struct {
		TileJSON     string     `json:"tilejson"`
		Tiles        []string   `json:"tiles"`
		MinZoom      int        `json:"minzoom"`
		Bounds       [4]float64 `json:"bounds"`
		Center       [3]float64 `json:"center"`
		VectorLayers []struct {
			ID     string            `json:"id"`
			Fields map[string]string `json:"fields"`
		} `json:"vector_layers"`
	}
	res := e.do("GET", "/tiles/coverage.json?facility=stations&kind=office&max_minutes=15", "xingang", nil, &tj)
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, res.Body)
	}
	if tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 || !strings.HasSuffix(tj.Tiles[0], "/tiles/coverage/{z}/{x}/{y}.mvt?facility=stations&kind=office&max_minutes=15") {
		t.Errorf("tilejson %s", res.Body)
	}
	// 新港街道's grids span 115.0–116.0
	if tj.Bounds != [4]float64{115.0, 22.5, 116.0, 23.5} || tj.Center != [3]float64{115.5, 23.0, 8} {
		t.Errorf("bounds %v, center %v", tj.Bounds, tj.Center)
	}
	if len(tj.VectorLayers) != 1 || tj.VectorLayers[0].ID != "coverage" || tj.VectorLayers[0].Fields["covered"] != "Boolean" {
		b, _ := json.Marshal(tj.VectorLayers)
		t.Errorf("vector_layers %s", b)
	}
}
