package roads

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/geo"
	"riskmap/internal/dbtest"
)

func TestSplitCutsLinesOnlyAtSharedNodes(t *testing.T) {
	line := func(ref string, nodes ...int64) *Line {
		l := &Line{Ref: ref, Class: "residential", Nodes: nodes}
		for _, n := range nodes {
			l.Coords = append(l.Coords, [2]float64{float64(n), 0})
		}
		return l
	}
	edges := split([]*Line{
		line("a", 1, 2, 3),            // shares 2 with b
		line("b", 4, 2, 5),            //
		line("c", 6, 7),               // crosses a in the drawing but shares no node: a bridge
		line("d", 8, 9, 10, 8),        // a closed loop: its closing node is not a junction
		line("e", 11, 12, 13, 12, 14), // passes its own node 12 twice
	})
	var got []string
	for _, e := range edges {
		var b strings.Builder
		b.WriteString(e.Line.Ref + ":")
		for _, c := range e.Coords {
			b.WriteString(" " + string(rune('0'+int(c[0])%10)))
		}
		got = append(got, b.String())
	}
	want := []string{"a: 1 2", "a: 2 3", "b: 4 2", "b: 2 5", "c: 6 7", "d: 8 9 0 8", "e: 1 2", "e: 2 3 2", "e: 2 4"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("edges\n got %q\nwant %q", got, want)
	}
}

// osmFixture is a small network near Shanwei: a primary road W1 crossed by
// a residential W2 at node 2; a footway; a motorway (one-way by default,
// maxspeed in mph); a residential one-way against its drawing; a way whose
// node 99 the extract lacks; a building.
func osmFixture(compress bool) []byte {
	w := &pbfWriter{compress: compress}
	w.header("OsmSchema-V0.6", "DenseNodes")
	var nodes []testNode
	for i := int64(1); i <= 16; i++ {
		nodes = append(nodes, testNode{i, 115.3 + float64(i)*0.001, 22.78 + float64(i%3)*0.001})
	}
	w.block(nodes[:10], nodes[10:], nil)
	w.block(nil, nil, []testWay{
		{101, [][2]string{{"highway", "primary"}, {"name", "人民路"}}, []int64{1, 2, 3, 4}},
		{102, [][2]string{{"highway", "residential"}}, []int64{5, 2, 6}},
		{103, [][2]string{{"highway", "footway"}}, []int64{7, 8}},
		{104, [][2]string{{"highway", "motorway"}, {"maxspeed", "50 mph"}}, []int64{9, 10}},
		{105, [][2]string{{"highway", "residential"}, {"oneway", "-1"}}, []int64{11, 12}},
		{106, [][2]string{{"highway", "tertiary"}}, []int64{3, 14, 99, 15, 16}},
		{107, [][2]string{{"building", "yes"}}, []int64{13, 14, 15, 13}},
	})
	return w.buf.Bytes()
}

// onlyReader hides Seek, so the reader takes its one-pass path.
type onlyReader struct{ io.Reader }

func TestImportOSMBuildsARoutableNetwork(t *testing.T) {
	pool := dbtest.New(t, dbtest.Empty)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		r    func() io.Reader
	}{
		{"seekable, two passes", func() io.Reader { return bytes.NewReader(osmFixture(true)) }},
		{"a stream, one pass", func() io.Reader { return onlyReader{bytes.NewReader(osmFixture(false))} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Import(ctx, pool, tc.r(), FormatPBF, Options{})
			if err != nil {
				t.Fatal(err)
			}
			// W1 cut at 2 and 3 (W6 starts there), W2 at 2, W6 where 99 is missing
			if rep.Lines != 6 || rep.Edges != 9 || rep.Ignored["highway=footway (no speed for the class)"] != 1 ||
				rep.Ignored["node references missing from the file (ways cut there)"] != 1 {
				t.Errorf("report %+v", rep)
			}
			if rep.Vertices != 13 || rep.Components != 4 {
				t.Errorf("%d vertices in %d pieces, want 13 in 4", rep.Vertices, rep.Components)
			}
			var oneways, named, w1 int
			var mph float64
			err = pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE oneway <> 0), count(*) FILTER (WHERE name = '人民路'),
			    (SELECT count(DISTINCT source) FROM roads WHERE source_ref = 'osm:way/101'),
			    (SELECT maxspeed_kmh FROM roads WHERE class = 'motorway')
			  FROM roads`).Scan(&oneways, &named, &w1, &mph)
			if err != nil {
				t.Fatal(err)
			}
			if oneways != 2 || named != 3 || w1 != 3 || math.Abs(mph-80.4672) > 1e-9 {
				t.Errorf("one-way %d, named %d, W1 edges %d, motorway maxspeed %v", oneways, named, w1, mph)
			}
			// the motorway is one-way along its drawing, the residential W5 against it
			var fwd, rev float64
			if err := pool.QueryRow(ctx, "SELECT cost, reverse_cost FROM road_edges WHERE class = 'motorway'").Scan(&fwd, &rev); err != nil {
				t.Fatal(err)
			}
			if fwd <= 0 || rev != -1 {
				t.Errorf("motorway cost %v / %v", fwd, rev)
			}
			// a second import replaces the network
			rep, err = Import(ctx, pool, bytes.NewReader(osmFixture(true)), FormatPBF, Options{})
			if err != nil || rep.Replaced != 9 || rep.Edges != 9 {
				t.Errorf("second import: %v %+v", err, rep)
			}
		})
	}
	// with a speed for footways, they are roads too
	rep, err := Import(ctx, pool, bytes.NewReader(osmFixture(true)), FormatPBF, Options{Speeds: Speeds{"footway": 5}})
	if err != nil || rep.Edges != 10 || rep.KmByClass["footway"] == 0 {
		t.Errorf("with footways: %v %+v", err, rep)
	}
}

func TestImportGeoJSONLines(t *testing.T) {
	pool := dbtest.New(t, dbtest.Empty)
	ctx := context.Background()
	const fc = `{"type":"FeatureCollection","features":[
	 {"type":"Feature","id":"a","properties":{"class":"primary","name":"海滨大道","maxspeed":50},
	  "geometry":{"type":"LineString","coordinates":[[115.30,22.78],[115.31,22.78],[115.32,22.78]]}},
	 {"type":"Feature","properties":{"highway":"residential","oneway":"yes"},
	  "geometry":{"type":"LineString","coordinates":[[115.31,22.77],[115.31,22.78],[115.31,22.79]]}},
	 {"type":"Feature","properties":{"class":"secondary"},
	  "geometry":{"type":"MultiLineString","coordinates":[[[115.30,22.79],[115.32,22.77]],[[115.32,22.78],[115.33,22.78]]]}}
	]}`
	rep, err := Import(ctx, pool, strings.NewReader(fc), FormatGeoJSON, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// a and the residential share (115.31, 22.78): 2 + 2 edges; the diagonal
	// crosses there without a shared point (a bridge): 1; the last piece
	// meets a at its end: 1
	if rep.Lines != 4 || rep.Edges != 6 || rep.Vertices != 8 || rep.Components != 2 {
		t.Errorf("report %+v", rep)
	}
	bad := `{"type":"FeatureCollection","features":[
	 {"type":"Feature","properties":{"class":"primary"},"geometry":{"type":"LineString","coordinates":[[115.30,22.78],[115.31,22.78]]}},
	 {"type":"Feature","properties":{"class":"boulevard"},"geometry":{"type":"LineString","coordinates":[[115.30,22.78],[115.31,22.79]]}},
	 {"type":"Feature","properties":{"class":"primary"},"geometry":{"type":"Point","coordinates":[115.30,22.78]}},
	 {"type":"Feature","properties":{"class":"primary","oneway":"sometimes"},"geometry":{"type":"LineString","coordinates":[[115.30,22.78],[115.31,22.79]]}},
	 {"type":"Feature","properties":{"class":"primary"},"geometry":{"type":"LineString","coordinates":[[215.30,22.78],[115.31,22.79]]}}
	]}`
	_, err = Import(ctx, pool, strings.NewReader(bad), FormatGeoJSON, Options{})
	var e *riskmap.Error
	if !errors.As(err, &e) || e.Code != riskmap.EUNPROCESSABLE || len(e.Details) != 4 {
		t.Fatalf("invalid features: %v", err)
	}
	for i, w := range []struct {
		row   int
		field string
	}{{2, "properties.class"}, {3, "geometry.type"}, {4, "properties.oneway"}, {5, "geometry.coordinates[0]"}} {
		if d := e.Details[i]; d.Row != w.row || d.Field != w.field {
			t.Errorf("detail %d: %+v, want row %d field %s", i, d, w.row, w.field)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM roads").Scan(&n); err != nil || n != 6 {
		t.Fatalf("a refused file changed the network: %d edges", n)
	}
	rep, err = Import(ctx, pool, strings.NewReader(bad), FormatGeoJSON, Options{SkipInvalid: true, Append: true})
	if err != nil || rep.Edges != 1 || len(rep.Rejected) != 4 || rep.Replaced != 0 {
		t.Fatalf("skip invalid: %v %+v", err, rep)
	}
	// GCJ-02 coordinates (a phone map's) are stored as WGS-84
	gcj := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"class":"track"},
	  "geometry":{"type":"LineString","coordinates":[[115.35,22.80],[115.36,22.80]]}}]}`
	if _, err := Import(ctx, pool, strings.NewReader(gcj), FormatGeoJSON, Options{CRS: geo.CRSGCJ02, Speeds: Speeds{"track": 12}}); err != nil {
		t.Fatal(err)
	}
	var x, y, speed float64
	if err := pool.QueryRow(ctx, "SELECT ST_X(ST_StartPoint(geom)), ST_Y(ST_StartPoint(geom)), (SELECT speed_kmh FROM road_speeds WHERE class = 'track') FROM roads").Scan(&x, &y, &speed); err != nil {
		t.Fatal(err)
	}
	wx, wy := geo.GCJ02ToWGS84(115.35, 22.80)
	if math.Abs(x-wx) > 1e-7 || math.Abs(y-wy) > 1e-7 || speed != 12 {
		t.Errorf("stored (%v, %v) speed %v, want (%v, %v) 12", x, y, speed, wx, wy)
	}
	if _, err := ParseSpeeds("primary=fast"); riskmap.ErrorCode(err) != riskmap.EINVALID {
		t.Errorf("ParseSpeeds: %v", err)
	}
	if sp, err := ParseSpeeds("primary=55, track=10"); err != nil || sp["primary"] != 55 || sp["track"] != 10 {
		t.Errorf("ParseSpeeds: %v %v", sp, err)
	}
	if f, err := FormatOf("/data/guangdong-latest.osm.pbf"); err != nil || f != FormatPBF {
		t.Errorf("FormatOf: %v %v", f, err)
	}
}

// smallCity: two townships of two villages of three grids each, in a row
// of 0.01° cells.
const smallCity = `
INSERT INTO areas (code, name, level, parent_code, geom) VALUES
 ('441500000000', '汕尾市', 'city', NULL, ST_Multi(ST_MakeEnvelope(115, 22.8, 115.06, 22.82, 4326))),
 ('441502000000', '城区', 'county', '441500000000', ST_Multi(ST_MakeEnvelope(115, 22.8, 115.06, 22.82, 4326))),
 ('441502001000', '甲', 'township', '441502000000', ST_Multi(ST_MakeEnvelope(115, 22.8, 115.03, 22.82, 4326))),
 ('441502002000', '乙', 'township', '441502000000', ST_Multi(ST_MakeEnvelope(115.03, 22.8, 115.06, 22.82, 4326))),
 ('441502001001', '甲一', 'village', '441502001000', ST_Multi(ST_MakeEnvelope(115, 22.81, 115.03, 22.82, 4326))),
 ('441502001002', '甲二', 'village', '441502001000', ST_Multi(ST_MakeEnvelope(115, 22.8, 115.03, 22.81, 4326))),
 ('441502002001', '乙一', 'village', '441502002000', ST_Multi(ST_MakeEnvelope(115.03, 22.81, 115.06, 22.82, 4326))),
 ('441502002002', '乙二', 'village', '441502002000', ST_Multi(ST_MakeEnvelope(115.03, 22.8, 115.06, 22.81, 4326)));
INSERT INTO grids (code, name, population, geom)
SELECT v.code || lpad(i::text, 3, '0'), v.name || i, 100 * i + length(v.code),
       ST_Multi(ST_MakeEnvelope(ST_XMin(v.geom) + (i - 1) * 0.01, ST_YMin(v.geom), ST_XMin(v.geom) + i * 0.01, ST_YMax(v.geom), 4326))
  FROM areas v, generate_series(1, 3) i WHERE v.level = 'village';
`

func generatedCity(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := dbtest.New(t, dbtest.Empty)
	if _, err := pool.Exec(context.Background(), smallCity); err != nil {
		t.Fatal(err)
	}
	return pool
}

func TestGeneratedNetworkReachesEveryGridAndRepeatsItself(t *testing.T) {
	pool := generatedCity(t)
	ctx := context.Background()
	loaded, err := LoadDemo(ctx, pool)
	if err != nil || !loaded {
		t.Fatalf("LoadDemo: %v %v", loaded, err)
	}
	var vertices, components, onGrid, classes int
	var sum string
	err = pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM road_vertices), (SELECT count(DISTINCT component) FROM road_vertices),
	    (SELECT count(*) FROM grids g WHERE EXISTS (SELECT 1 FROM road_vertices v WHERE ST_DWithin(v.geom, ST_PointOnSurface(g.geom), 1e-6))),
	    (SELECT count(DISTINCT class) FROM roads),
	    (SELECT md5(string_agg(class || ST_AsText(geom), ',' ORDER BY ST_AsText(geom))) FROM roads)`).Scan(&vertices, &components, &onGrid, &classes, &sum)
	if err != nil {
		t.Fatal(err)
	}
	if vertices != 12 || components != 1 || onGrid != 12 || classes < 2 {
		t.Errorf("%d vertices in %d pieces, %d grids on the network, %d classes", vertices, components, onGrid, classes)
	}
	if again, err := LoadDemo(ctx, pool); err != nil || again {
		t.Errorf("second LoadDemo: %v %v, want nothing done", again, err)
	}
	if _, err := Generate(ctx, pool, "demo"); err != nil {
		t.Fatal(err)
	}
	var sum2 string
	if err := pool.QueryRow(ctx, "SELECT md5(string_agg(class || ST_AsText(geom), ',' ORDER BY ST_AsText(geom))) FROM roads").Scan(&sum2); err != nil {
		t.Fatal(err)
	}
	if sum2 != sum {
		t.Error("generating again gave another network")
	}
}
