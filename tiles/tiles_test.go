package tiles

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"riskmap"
	"riskmap/internal/dbtest"
	"riskmap/internal/mvttest"
)

func demo(t *testing.T) *pgxpool.Pool {
	t.Helper()
	return dbtest.New(t, dbtest.Demo)
}

// denseTile is the tile of zoom z around the median risk point of the demo city.
func denseTile(t *testing.T, pool *pgxpool.Pool, z int) TileID {
	t.Helper()
	var lon, lat float64
	err := pool.QueryRow(context.Background(), `SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY ST_X(geom)),
		percentile_disc(0.5) WITHIN GROUP (ORDER BY ST_Y(geom)) FROM risk_points`).Scan(&lon, &lat)
	if err != nil {
		t.Fatal(err)
	}
	return tileAt(z, lon, lat)
}

// ids are the feature ids PostGIS puts in a layer's tile: the features
// whose clipped geometry is not empty.
func dbIDs(t *testing.T, pool *pgxpool.Pool, l *Layer, id TileID, geomSQL string) []float64 {
	t.Helper()
	where := "true"
	if l.Where != "" {
		where = l.Where // the layer's own choice of what a zoom draws
	}
	rows, err := pool.Query(context.Background(), fmt.Sprintf(`SELECT t.id FROM %s t
		WHERE t.geom_3857 && ST_TileEnvelope($1, $2, $3, margin => 0.0625) AND %s
		  AND ST_AsMVTGeom(%s, ST_TileEnvelope($1, $2, $3), 4096, 256, true) IS NOT NULL ORDER BY 1`, l.Table, where, geomSQL), id.Z, id.X, id.Y)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []float64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, float64(v))
	}
	return out
}

func TestEveryLayerCarriesItsFeaturesWithTheirAttributesClippedToTheBuffer(t *testing.T) {
	pool := demo(t)
	s := NewService(pool, Options{})
	all := riskmap.Scope{All: true}
	for _, z := range []int{14, 16} {
		id := denseTile(t, pool, z)
		whole := mvttest.Decode(t, mustTile(t, s, all, All, id).Data)
		for _, l := range s.layers {
			tile := mvttest.Decode(t, mustTile(t, s, all, l.Name, id).Data)
			ml := tile[l.Name]
			want := dbIDs(t, pool, l, id, "t.geom_3857")
			if len(want) == 0 {
				if ml != nil {
					t.Errorf("z%d %s: %d features where the database has none", z, l.Name, len(ml.Features))
				}
				continue
			}
			if ml == nil || len(tile) != 1 {
				t.Fatalf("z%d %s: layers %v, want just %s", z, l.Name, keys(tile), l.Name)
			}
			var got []float64
			for _, f := range ml.Features {
				got = append(got, f.ID.(float64))
				for _, a := range l.Attrs {
					v, ok := f.Properties[a.Name]
					if !ok && !nullable[a.Name] && !nullable[l.Name+"."+a.Name] { // NULL attributes are left out
						t.Errorf("z%d %s %v: no attribute %s", z, l.Name, f.ID, a.Name)
					}
					if ok && !typeIs(v, a.Type) {
						t.Errorf("z%d %s %v: %s = %v (%T), want a %s", z, l.Name, f.ID, a.Name, v, v, a.Type)
					}
				}
				b := f.Geometry.Bound()
				if b.Min[0] < -buffer || b.Min[1] < -buffer || b.Max[0] > extent+buffer || b.Max[1] > extent+buffer {
					t.Errorf("z%d %s %v: geometry %v leaves the tile and its buffer", z, l.Name, f.ID, b)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("z%d %s: %d features, the database %d", z, l.Name, len(got), len(want))
			}
			if n := len(whole[l.Name].Features); n != len(want) {
				t.Errorf("z%d all/%s: %d features, want %d", z, l.Name, n, len(want))
			}
			t.Logf("z%d %s %s: %d features", z, id, l.Name, len(got))
		}
	}
}

// attributes the demo data leaves NULL somewhere (due_on and patrol: on retired points)
var nullable = map[string]bool{"worker": true, "parent_code": true, "major_hazard_level": true, "max_level": true, "index_level": true, "due_on": true, "patrol": true, "roads.name": true}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func typeIs(v any, typ string) bool {
	switch v.(type) {
	case string:
		return typ == "String"
	case float64:
		return typ == "Number"
	case bool:
		return typ == "Boolean"
	}
	return false
}

// Clusters: their counts add up to the active points in the cells the tile
// draws, and each carries the gravest level of its cell.
func TestClustersCountThePointsUnderThemAndTheirGravestLevel(t *testing.T) {
	pool := demo(t)
	s := NewService(pool, Options{})
	ctx := context.Background()
	for _, c := range []struct {
		layer string
		z     int
		level string
	}{{"risk_points", 10, "risk_level"}, {"risk_points", 12, "risk_level"}, {"risk_points", 13, "risk_level"}, {"hazard_sources", 9, "major_hazard_level"}} {
		id := denseTile(t, pool, c.z)
		ml := mvttest.Decode(t, mustTile(t, s, riskmap.Scope{All: true}, c.layer, id).Data)[c.layer]
		if ml == nil || len(ml.Features) < 2 {
			t.Fatalf("%s z%d: no clusters", c.layer, c.z)
		}
		r := id.reach()
		var want int
		if err := pool.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %s WHERE status = 'active' AND geom_3857 && ST_MakeEnvelope($1, $3, $2, $4, 3857)
			AND ST_X(geom_3857) >= $1 AND ST_X(geom_3857) < $2 AND ST_Y(geom_3857) > $3 AND ST_Y(geom_3857) <= $4`, c.layer),
			r[0], r[2], r[1], r[3]).Scan(&want); err != nil {
			t.Fatal(err)
		}
		got, checked := 0, 0
		cell := (id.bounds()[2] - id.bounds()[0]) / cellsPerTile
		for _, f := range ml.Features {
			n, ok := f.Properties["point_count"].(float64)
			if !ok || n < 1 {
				t.Fatalf("%s z%d: cluster without point_count: %v", c.layer, c.z, f.Properties)
			}
			got += int(n)
			// the cell the cluster's centroid lies in, unless too near its
			// edge to tell after rounding to the tile grid
			p := f.Geometry.(orb.Point)
			x := r[0] + (p[0]+buffer)*cell/buffer
			y := r[3] - (p[1]+buffer)*cell/buffer
			fx, fy := (x-r[0])/cell, (r[3]-y)/cell
			if frac(fx) < 0.02 || frac(fx) > 0.98 || frac(fy) < 0.02 || frac(fy) > 0.98 {
				continue
			}
			x0, y1 := r[0]+math.Floor(fx)*cell, r[3]-math.Floor(fy)*cell
			var cnt int
			var gravest *int
			if err := pool.QueryRow(ctx, fmt.Sprintf(`SELECT count(*), min(%s) FROM %s WHERE status = 'active' AND geom_3857 && ST_MakeEnvelope($1, $3, $2, $4, 3857)
				AND ST_X(geom_3857) >= $1 AND ST_X(geom_3857) < $2 AND ST_Y(geom_3857) > $3 AND ST_Y(geom_3857) <= $4`, c.level, c.layer),
				x0, x0+cell, y1-cell, y1).Scan(&cnt, &gravest); err != nil {
				t.Fatal(err)
			}
			lv, has := f.Properties[c.level].(float64)
			if cnt != int(n) || (gravest == nil) == has || gravest != nil && float64(*gravest) != lv {
				t.Errorf("%s z%d cluster at %v: %v points, %s %v; the cell has %d, gravest %v", c.layer, c.z, p, n, c.level, f.Properties[c.level], cnt, gravest)
			}
			checked++
		}
		if got != want {
			t.Errorf("%s z%d %s: clusters count %d points, the cells hold %d", c.layer, c.z, id, got, want)
		}
		if checked < len(ml.Features)/2 {
			t.Errorf("%s z%d: only %d of %d clusters checked against their cell", c.layer, c.z, checked, len(ml.Features))
		}
		t.Logf("%s z%d %s: %d clusters of %d points", c.layer, c.z, id, len(ml.Features), got)
	}
}

func frac(v float64) float64 { return v - math.Floor(v) }

// No tile of the demo city exceeds 500 KB at z8–z12, for risk points or
// for every layer at once.
func TestNoLowZoomTileExceeds500KB(t *testing.T) {
	pool := demo(t)
	s := NewService(pool, Options{})
	var b [4]float64
	if err := pool.QueryRow(context.Background(), `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
		FROM (SELECT ST_Extent(geom) e FROM areas WHERE level = 'city') x`).Scan(&b[0], &b[1], &b[2], &b[3]); err != nil {
		t.Fatal(err)
	}
	for z := 8; z <= 12; z++ {
		nw, se := tileAt(z, b[0], b[3]), tileAt(z, b[2], b[1])
		for _, layer := range []string{"risk_points", All} {
			largest, n := 0, 0
			for x := nw.X; x <= se.X; x++ {
				for y := nw.Y; y <= se.Y; y++ {
					d := mustTile(t, s, riskmap.Scope{All: true}, layer, TileID{z, x, y}).Data
					if len(d) > 500<<10 {
						t.Errorf("%s z%d/%d/%d: %d bytes", layer, z, x, y, len(d))
					}
					mvttest.Decode(t, d)
					largest = max(largest, len(d))
					n++
				}
			}
			t.Logf("%s z%d: %d tiles, the largest %d bytes", layer, z, n, largest)
		}
	}
}

// A township's user sees nothing of other townships, in single features
// and in clusters, and never gets a tile cached for another scope.
func TestATownshipsTilesHoldNothingOfOtherTownships(t *testing.T) {
	pool := demo(t)
	ctx := context.Background()
	s := startService(t, pool, 64<<20)
	const twp = "441502001000" // 新港街道
	scope := riskmap.Scope{Areas: []string{twp}}
	// a tile on the township's edge, where the neighbours' features are too
	var lon, lat float64
	if err := pool.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointN(ST_ExteriorRing(ST_GeometryN(geom, 1)), 1) p
		FROM areas WHERE code = $1) x`, twp).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	for _, z := range []int{11, 13, 15} {
		id := tileAt(z, lon, lat)
		admin := mustTile(t, s, riskmap.Scope{All: true}, All, id)
		mine := mustTile(t, s, scope, All, id)
		if mine.Cached {
			t.Fatalf("z%d: the township got a cached tile on its first request (another scope's)", z)
		}
		if string(mine.Data) == string(admin.Data) {
			t.Fatalf("z%d: the township's tile is the administrator's: the test tile must hold other townships", z)
		}
		foreign := 0
		for name, ml := range mvttest.Decode(t, mine.Data) {
			for _, f := range ml.Features {
				switch name {
				case "areas":
					code := f.Properties["code"].(string)
					if !strings.HasPrefix(code, twp[:9]) && !strings.HasPrefix(twp, riskmap.AreaPrefix(code)) {
						foreign++
						t.Errorf("z%d: area %s %s of another township", z, code, f.Properties["name"])
					}
				case "grids":
					if c := f.Properties["code"].(string); !strings.HasPrefix(c, twp[:9]) {
						foreign++
						t.Errorf("z%d: grid %s of another township", z, c)
					}
				default:
					if c, ok := f.Properties["township_code"].(string); ok && c != twp {
						foreign++
						t.Errorf("z%d: %s %v of township %s", z, name, f.ID, c)
					}
				}
			}
		}
		// clusters count only the township's points
		if z <= 13 {
			r := id.reach()
			var want int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM risk_points WHERE status = 'active' AND township_code = $5
				AND geom_3857 && ST_MakeEnvelope($1, $3, $2, $4, 3857) AND ST_X(geom_3857) >= $1 AND ST_X(geom_3857) < $2 AND ST_Y(geom_3857) > $3 AND ST_Y(geom_3857) <= $4`,
				r[0], r[2], r[1], r[3], twp).Scan(&want); err != nil {
				t.Fatal(err)
			}
			got := 0
			if ml := mvttest.Decode(t, mine.Data)["risk_points"]; ml != nil {
				for _, f := range ml.Features {
					got += int(f.Properties["point_count"].(float64))
				}
			}
			if got != want {
				t.Errorf("z%d: the township's clusters count %d points, it has %d there", z, got, want)
			}
		}
		if again := mustTile(t, s, scope, All, id); !again.Cached || string(again.Data) != string(mine.Data) {
			t.Errorf("z%d: the township's second request was not its own cached tile", z)
		}
	}
}

var ogrCount = regexp.MustCompile(`(?m)^Layer name: (\w+)[\s\S]*?^Feature Count: (\d+)`)

// GDAL, a client we did not write, reads a tile: layers and feature counts.
func TestOgrinfoReadsATile(t *testing.T) {
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		t.Skip("ogrinfo (Debian gdal-bin) is not installed; make test installs it")
	}
	pool := demo(t)
	s := NewService(pool, Options{})
	id := denseTile(t, pool, 15)
	data := mustTile(t, s, riskmap.Scope{All: true}, All, id).Data
	// GDAL's MVT driver reads z/x/y from the path
	dir := filepath.Join(t.TempDir(), strconv.Itoa(id.Z), strconv.Itoa(id.X))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, strconv.Itoa(id.Y)+".pbf")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ogrinfo", "-ro", "-so", "-al", file).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	counts := map[string]int{}
	for _, m := range ogrCount.FindAllStringSubmatch(string(out), -1) {
		counts[m[1]], _ = strconv.Atoi(m[2])
	}
	decoded := mvttest.Decode(t, data)
	if len(counts) != len(decoded) {
		t.Fatalf("ogrinfo sees layers %v, the tile has %v\n%s", keys(counts), keys(decoded), out)
	}
	for name, ml := range decoded {
		if counts[name] != len(ml.Features) {
			t.Errorf("layer %s: ogrinfo counts %d features, orb %d", name, counts[name], len(ml.Features))
		}
	}
	if !strings.Contains(string(out), "risk_level: Integer") && !strings.Contains(string(out), "risk_level: Real") {
		t.Errorf("ogrinfo does not list risk_level as a number:\n%s", out)
	}
}
