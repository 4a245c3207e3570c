package resilience

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb/encoding/mvt"

	"riskmap"
	"riskmap/auth"
)

// Two server processes on one database, as replicas behind a load
// balancer: a case reported through one shows at once in the other's live
// feed and in its grid tiles (whose cache it had warmed: the change reaches
// it by NOTIFY), and a risk point created through one is in the other's
// risk point tiles.
func TestTwoReplicasOnOneDatabaseShareWritesInTilesAndLiveFeed(t *testing.T) {
	url, pool := scratchDB(t)
	a := startServer(t, url)
	b := startServer(t, url)
	worker, _ := user(t, pool, a.Base, auth.UserSpec{Username: "worker", Role: riskmap.RoleWorker, Grids: []string{"441502001001001"}})
	city, _ := user(t, pool, b.Base, auth.UserSpec{Username: "city", Role: riskmap.RoleCity, Areas: []string{"441500000000"}})
	const lon, lat = 115.06, 23.25 // in grid 441502001001001

	// B's live feed, as the web app reads it
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := feed(t, ctx, b.Base, city)

	// B's grid tile over the grid, twice: the second comes from its cache
	gridTile := tilePath("grids", 12, lon, lat)
	openCases := func() (float64, string) {
		t.Helper()
		data, cache := fetchTile(t, b.Base, gridTile, city)
		for _, f := range decodeLayer(t, data, "grids") {
			if f.Properties["code"] == "441502001001001" {
				n, _ := f.Properties["open_cases"].(float64)
				return n, cache
			}
		}
		t.Fatalf("grid 441502001001001 not in B's tile %s", gridTile)
		return 0, ""
	}
	if n, _ := openCases(); n != 0 {
		t.Fatalf("open cases before: %v", n)
	}
	if _, cache := openCases(); cache != "" { // a cached tile carries no X-Cache; a made one says MISS
		t.Fatalf("B's second fetch of %s was a cache %s; the test needs a warm cache", gridTile, cache)
	}

	id := "5b0c7d0e-2a4f-4c1e-9d8a-6f3e2b1a0c9d"
	status, body := call(t, a.Base, "POST", "/api/v1/cases", worker, map[string]any{"type": "Feature", "id": id,
		"geometry":   map[string]any{"type": "Point", "coordinates": []float64{lon, lat}},
		"properties": map[string]any{"grade": "general", "category": "flood", "description": "内涝积水,井盖缺失"}})
	if status != 201 {
		t.Fatalf("report through A: %d %s", status, body)
	}
	reported := time.Now()
	select {
	case ev := <-events:
		if ev["id"] != id || ev["state"] != "reported" {
			t.Errorf("B's feed sent %v, want the case %s reported", ev, id)
		}
		t.Logf("B's live feed had the case %.0f ms after A acknowledged it", float64(time.Since(reported))/float64(time.Millisecond))
	case <-time.After(5 * time.Second):
		t.Fatal("B's live feed did not send the case reported through A within 5 s")
	}
	// the tile B serves next shows it: its cache was told by NOTIFY
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, cache := openCases()
		if n == 1 {
			t.Logf("B's grid tile counted the case %.0f ms after A acknowledged it (cache %s)", float64(time.Since(reported))/float64(time.Millisecond), cache)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B's grid tile still shows %v open cases 5 s after a case was reported through A (cache %s)", n, cache)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// a risk point created through A, in B's point tile (z14: no clusters)
	pointTile := tilePath("risk_points", 14, lon, lat)
	fetchTile(t, b.Base, pointTile, city) // warm B's cache
	status, body = call(t, a.Base, "POST", "/api/v1/risk_points", city, map[string]any{"type": "Feature",
		"geometry":   map[string]any{"type": "Point", "coordinates": []float64{lon + 0.001, lat}},
		"properties": map[string]any{"name": "新建风险点", "category": "geological", "risk_level": 1}})
	if status != 201 {
		t.Fatalf("create a risk point through A: %d %s", status, body)
	}
	var created struct{ ID float64 }
	_ = json.Unmarshal(body, &created)
	deadline = time.Now().Add(5 * time.Second)
	for {
		data, cache := fetchTile(t, b.Base, pointTile, city)
		found := false
		for _, f := range decodeLayer(t, data, "risk_points") {
			if fmt.Sprint(f.ID) == fmt.Sprint(created.ID) {
				found = true
			}
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B's tile %s lacks risk point %v 5 s after A created it (cache %s)", pointTile, created.ID, cache)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// B's /metrics counted its cache's hits and misses
	_, text := call(t, b.Base, "GET", "/metrics", "", nil)
	for _, name := range []string{"riskmap_tile_cache_hits_total", "riskmap_tile_cache_misses_total", "riskmap_tile_cache_invalidations_total", "riskmap_tile_cache_live"} {
		if v := metric(string(text), name); v < 1 {
			t.Errorf("B's /metrics: %s = %v, want at least 1", name, v)
		}
	}
}

// metric is the value of an unlabelled metric in Prometheus text (-1: absent).
func metric(text, name string) float64 {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err == nil {
				return f
			}
		}
	}
	return -1
}

// feed reads base's live feed as token and sends each case event's data.
func feed(t *testing.T, ctx context.Context, base, token string) <-chan map[string]any {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("live feed: %d %s", res.StatusCode, b)
	}
	out := make(chan map[string]any, 16)
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "case":
				var m map[string]any
				if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &m) == nil {
					out <- m
				}
			case line == "":
				event = ""
			}
		}
	}()
	return out
}

// tilePath is the tile of layer at zoom z holding lon, lat.
func tilePath(layer string, z int, lon, lat float64) string {
	n := math.Exp2(float64(z))
	x := int((lon + 180) / 360 * n)
	rad := lat * math.Pi / 180
	y := int((1 - math.Log(math.Tan(rad)+1/math.Cos(rad))/math.Pi) / 2 * n)
	return fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layer, z, x, y)
}

// fetchTile gets a tile and its X-Cache ("" from the cache, MISS when made).
func fetchTile(t *testing.T, base, path, token string) ([]byte, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 && res.StatusCode != 204 {
		t.Fatalf("%s: %d %s", path, res.StatusCode, data)
	}
	return data, res.Header.Get("X-Cache")
}

func decodeLayer(t *testing.T, data []byte, name string) []*featureView {
	t.Helper()
	if len(data) == 0 {
		return nil
	}
	layers, err := mvt.Unmarshal(data)
	if err != nil {
		t.Fatalf("decode tile: %v", err)
	}
	var out []*featureView
	for _, l := range layers {
		if l.Name != name {
			continue
		}
		for _, f := range l.Features {
			out = append(out, &featureView{ID: f.ID, Properties: f.Properties})
		}
	}
	return out
}

type featureView struct {
	ID         any
	Properties map[string]any
}
