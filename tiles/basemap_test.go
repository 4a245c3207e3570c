package tiles

import (
	"context"
	"slices"
	"testing"

	"riskmap"
	"riskmap/internal/mvttest"
)

// tileFeatures lists a layer's features in a decoded tile as id → properties.
func tileFeatures(t *testing.T, data []byte, layer string) map[float64]map[string]any {
	t.Helper()
	out := map[float64]map[string]any{}
	if ml := mvttest.Decode(t, data)[layer]; ml != nil {
		for _, f := range ml.Features {
			out[f.ID.(float64)] = f.Properties
		}
	}
	return out
}

// The basemap (roads by class, place names) is the same for every user,
// shows the bigger roads and areas first as the zoom grows, and a change to
// a road or an area's name shows in the next tile.
func TestTheBasemapIsEveryonesAndShowsMoreAsTheZoomGrows(t *testing.T) {
	pool := demo(t)
	ctx := context.Background()
	s := startService(t, pool, 64<<20)
	fresh := NewService(pool, Options{})
	all := riskmap.Scope{All: true}
	worker := riskmap.Scope{Grids: []string{"441502001001001"}}
	var village int64
	var name string
	var lon, lat float64
	if err := pool.QueryRow(ctx, `SELECT l.id, l.name, ST_X(l.geom), ST_Y(l.geom) FROM area_labels l JOIN areas a ON a.id = l.id
		WHERE a.code = '441502001001'`).Scan(&village, &name, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	// the demo city's test template has no road network: a road of each
	// kind of class through the village
	for i, class := range []string{"motorway", "primary", "secondary", "tertiary", "residential", "service"} {
		d := 0.0003 * float64(i+1)
		if _, err := pool.Exec(ctx, `INSERT INTO roads (class, geom) VALUES ($1,
			ST_MakeLine(ST_Point($2::float8 - 0.2, $3::float8 + $4::float8, 4326), ST_Point($2::float8 + 0.2, $3::float8 - $4::float8, 4326)))`, class, lon, lat, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for z := 8; z <= 16; z++ {
		id := tileAt(z, lon, lat)
		mine, admin := mustTile(t, s, worker, All, id).Data, mustTile(t, s, all, All, id).Data
		for _, layer := range []string{"roads", "places"} {
			a, m := tileFeatures(t, admin, layer), tileFeatures(t, mine, layer)
			if len(a) != len(m) {
				t.Errorf("z%d %s: the worker gets %d features, the administrator %d", z, layer, len(m), len(a))
			}
			for fid := range a {
				if _, ok := m[fid]; !ok {
					t.Errorf("z%d %s: feature %v missing from the worker's tile", z, layer, fid)
				}
			}
		}
		roads := tileFeatures(t, admin, "roads")
		classes := map[string]int{}
		for _, p := range roads {
			c := p["class"].(string)
			classes[c]++
			if mz, ok := RoadMinZoom[c]; (ok && mz > z) || (!ok && z < RoadDetailZoom) {
				t.Errorf("z%d: a %s road, drawn from z%d", z, c, mz)
			}
		}
		// from z14 (no simplification) every road meeting the tile is in it
		if z >= SimplifyBelow {
			var want int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM roads t WHERE t.geom_3857 && ST_TileEnvelope($1, $2, $3, margin => 0.0625)
				AND ST_AsMVTGeom(t.geom_3857, ST_TileEnvelope($1, $2, $3), 4096, 256, true) IS NOT NULL`, id.Z, id.X, id.Y).Scan(&want); err != nil {
				t.Fatal(err)
			}
			if want == 0 || len(roads) != want {
				t.Errorf("z%d: %d roads in the tile, the database has %d there", z, len(roads), want)
			}
		}
		places := tileFeatures(t, admin, "places")
		levels := map[string]bool{}
		for _, p := range places {
			levels[p["level"].(string)] = true
			if PlaceMinZoom[p["level"].(string)] > z {
				t.Errorf("z%d: the name of %s %s, shown from z%d", z, p["level"], p["name"], PlaceMinZoom[p["level"].(string)])
			}
		}
		if got := places[float64(village)]; (z >= PlaceMinZoom["village"]) != (got != nil) || got != nil && got["name"] != name {
			t.Errorf("z%d: the village's label %v (its name %s, shown from z%d)", z, got, name, PlaceMinZoom["village"])
		}
		t.Logf("z%d %s: roads %v, place levels %v", z, id, classes, keys(levels))
	}
	if n := len(tileFeatures(t, mustTile(t, s, all, All, tileAt(8, lon, lat)).Data, "roads")); n != 2 {
		t.Errorf("%d roads at z8, want the motorway and the primary road", n)
	}

	// a renamed village and a new road show in the next tile at every zoom
	id16 := tileAt(16, lon, lat)
	mustTile(t, s, worker, All, id16)
	if _, err := pool.Exec(ctx, "UPDATE areas SET name = '新名社区' WHERE code = '441502001001'"); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO roads (class, name, geom) VALUES ('residential', '测试路',
		ST_MakeLine(ST_Point($1::float8 - 0.001, $2::float8, 4326), ST_Point($1::float8 + 0.001, $2::float8, 4326)))`, lon, lat); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for z := 12; z <= 16; z++ {
		id := tileAt(z, lon, lat)
		got, want := mustTile(t, s, worker, All, id), mustTile(t, fresh, worker, All, id)
		if string(got.Data) != string(want.Data) {
			t.Errorf("z%d: stale tile after the basemap changed", z)
		}
		if p := tileFeatures(t, got.Data, "places")[float64(village)]; p == nil || p["name"] != "新名社区" {
			t.Errorf("z%d: the village is labelled %v after its rename", z, p)
		}
		var names []string
		for _, p := range tileFeatures(t, got.Data, "roads") {
			if n, ok := p["name"].(string); ok {
				names = append(names, n)
			}
		}
		if z >= 12 && !slices.Contains(names, "测试路") {
			t.Errorf("z%d: the new road is not drawn (%v)", z, names)
		}
	}
}
