package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// FuzzParseGeometry: whatever bytes arrive, the parser answers without
// panicking, and anything it accepts has finite coordinates in range.
func FuzzParseGeometry(f *testing.F) {
	for _, s := range []string{
		`{"type":"Point","coordinates":[115.37,22.79]}`,
		`{"type":"Point","coordinates":[1e999,22.79]}`,
		`{"type":"LineString","coordinates":[[115,22],[116,23]]}`,
		`{"type":"Polygon","coordinates":[[[115,22],[116,22],[116,23],[115,22]]]}`,
		`{"type":"MultiPolygon","coordinates":[[[[115,22],[116,22],[116,23],[115,22]]]]}`,
		`{"type":"GeometryCollection","geometries":[]}`,
		`{"type":"Point","coordinates":[115.37,22.79,"x"]}`,
		`{"type":"Polygon","coordinates":[[[115,22]]]}`,
		`[[[[`, `null`, `{"type":"Point","coordinates":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		g, err := ParseGeometry(raw)
		if err != nil {
			return
		}
		check := func(p orb.Point) {
			if math.IsNaN(p[0]) || math.IsInf(p[0], 0) || math.IsNaN(p[1]) || math.IsInf(p[1], 0) ||
				p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
				t.Fatalf("accepted a bad coordinate %v from %q", p, raw)
			}
		}
		switch g := g.(type) {
		case orb.Point:
			check(g)
		case orb.MultiPoint:
			for _, p := range g {
				check(p)
			}
		case orb.LineString:
			for _, p := range g {
				check(p)
			}
		case orb.Polygon:
			for _, r := range g {
				for _, p := range r {
					check(p)
				}
			}
		case orb.MultiPolygon:
			for _, pg := range g {
				for _, r := range pg {
					for _, p := range r {
						check(p)
					}
				}
			}
		}
	})
}
