package geo

import (
	"errors"
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestCheckWithinCityBounds(t *testing.T) {
	city := Bounds{MinLon: 114.9, MinLat: 22.6, MaxLon: 116.2, MaxLat: 23.4}
	inside := orb.Ring{{115.1, 22.7}, {115.2, 22.7}, {115.2, 22.8}, {115.1, 22.7}}
	tests := []struct {
		name      string
		g         orb.Geometry
		wantError string
		wantCoord orb.Point
	}{
		{"point inside", orb.Point{115.37, 22.78}, "", orb.Point{}},
		{"point on the bounds' corner", orb.Point{114.9, 23.4}, "", orb.Point{}},
		{"polygon inside", orb.Polygon{inside}, "", orb.Point{}},
		{"collection inside", orb.Collection{orb.Point{115, 23}, orb.MultiPolygon{{inside}}}, "", orb.Point{}},

		{"point with latitude and longitude swapped", orb.Point{22.78, 115.37},
			"geometry.coordinates: point (22.78, 115.37) is outside the city; latitude and longitude look swapped (did you mean 115.37, 22.78?)",
			orb.Point{22.78, 115.37}},
		{"point elsewhere in China", orb.Point{113.26, 23.13},
			"geometry.coordinates: point (113.26, 23.13) is outside the city (longitude 114.9 to 116.2, latitude 22.6 to 23.4)",
			orb.Point{113.26, 23.13}},
		{"third vertex of a line outside", orb.LineString{{115, 23}, {115.1, 23}, {117, 23}},
			"geometry.coordinates[2]: point (117, 23) is outside the city (longitude 114.9 to 116.2, latitude 22.6 to 23.4)",
			orb.Point{117, 23}},
		{"vertex of a hole swapped", orb.Polygon{inside, {{115.12, 22.72}, {22.73, 115.13}, {115.13, 22.73}, {115.12, 22.72}}},
			"geometry.coordinates[1][1]: point (22.73, 115.13) is outside the city; latitude and longitude look swapped (did you mean 115.13, 22.73?)",
			orb.Point{22.73, 115.13}},
		{"multipolygon member outside", orb.MultiPolygon{{inside}, {{{115, 23}, {115, 24}, {115.5, 23}, {115, 23}}}},
			"geometry.coordinates[1][0][1]: point (115, 24) is outside the city (longitude 114.9 to 116.2, latitude 22.6 to 23.4)",
			orb.Point{115, 24}},
		{"multipoint member outside", orb.MultiPoint{{115, 23}, {0, 0}},
			"geometry.coordinates[1]: point (0, 0) is outside the city (longitude 114.9 to 116.2, latitude 22.6 to 23.4)",
			orb.Point{0, 0}},
		{"collection member outside", orb.Collection{orb.Point{115, 23}, orb.LineString{{115, 23}, {23, 115}}},
			"geometry.geometries[1].coordinates[1]: point (23, 115) is outside the city; latitude and longitude look swapped (did you mean 115, 23?)",
			orb.Point{23, 115}},
		{"bare ring reported as a one-ring polygon", orb.Ring{{115.1, 22.7}, {115.2, 22.7}, {117, 22.8}, {115.1, 22.7}},
			"geometry.coordinates[0][2]: point (117, 22.8) is outside the city (longitude 114.9 to 116.2, latitude 22.6 to 23.4)",
			orb.Point{117, 22.8}},
		{"bound corner outside", orb.Bound{Min: orb.Point{115, 22.7}, Max: orb.Point{117, 23}},
			"geometry.coordinates[0][1]: point (117, 22.7) is outside the city (longitude 114.9 to 116.2, latitude 22.6 to 23.4)",
			orb.Point{117, 22.7}},
		{"NaN coordinate", orb.Point{math.NaN(), 23},
			"geometry.coordinates: point (NaN, 23) is outside the city (longitude 114.9 to 116.2, latitude 22.6 to 23.4)",
			orb.Point{math.NaN(), 23}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckWithin(tt.g, city)
			if tt.wantError == "" {
				if err != nil {
					t.Fatalf("CheckWithin: %v", err)
				}
				return
			}
			var ie *InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("CheckWithin error = %v, want an *InvalidError", err)
			}
			if err.Error() != tt.wantError {
				t.Errorf("error\n got %q\nwant %q", err.Error(), tt.wantError)
			}
			if ie.Coord == nil || !sameCoord(*ie.Coord, tt.wantCoord) {
				t.Errorf("Coord = %v, want %v", ie.Coord, tt.wantCoord)
			}
		})
	}
}

func sameCoord(a, b orb.Point) bool {
	eq := func(x, y float64) bool { return x == y || (math.IsNaN(x) && math.IsNaN(y)) }
	return eq(a[0], b[0]) && eq(a[1], b[1])
}
