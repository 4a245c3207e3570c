package geo

import (
	"errors"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestParseGeometryAcceptsValidGeoJSON(t *testing.T) {
	square := orb.Ring{{115.1, 22.7}, {115.2, 22.7}, {115.2, 22.8}, {115.1, 22.8}, {115.1, 22.7}}
	tests := []struct {
		name string
		in   string
		want orb.Geometry
	}{
		{"point", `{"type":"Point","coordinates":[115.37,22.78]}`, orb.Point{115.37, 22.78}},
		{"point with altitude dropped", `{"type":"Point","coordinates":[115.37,22.78,12.5]}`, orb.Point{115.37, 22.78}},
		{"point on the range limits", `{"type":"Point","coordinates":[-180,90]}`, orb.Point{-180, 90}},
		{"integers and exponents", `{"type":"Point","coordinates":[1153.7e-1,22]}`, orb.Point{115.37, 22}},
		{"whitespace and foreign members ignored", " {\n \"bbox\": [1,2,3,4], \"type\": \"Point\", \"coordinates\": [115, 22] } \n", orb.Point{115, 22}},
		{"multipoint", `{"type":"MultiPoint","coordinates":[[115,22],[116,23]]}`, orb.MultiPoint{{115, 22}, {116, 23}}},
		{"linestring of two positions", `{"type":"LineString","coordinates":[[115,22],[116,23]]}`, orb.LineString{{115, 22}, {116, 23}}},
		{"multilinestring", `{"type":"MultiLineString","coordinates":[[[115,22],[116,23]]]}`, orb.MultiLineString{{{115, 22}, {116, 23}}}},
		{"polygon", `{"type":"Polygon","coordinates":[[[115.1,22.7],[115.2,22.7],[115.2,22.8],[115.1,22.8],[115.1,22.7]]]}`, orb.Polygon{square}},
		{"polygon with a hole", `{"type":"Polygon","coordinates":[[[115.1,22.7],[115.2,22.7],[115.2,22.8],[115.1,22.8],[115.1,22.7]],[[115.12,22.72],[115.13,22.72],[115.13,22.73],[115.12,22.72]]]}`,
			orb.Polygon{square, {{115.12, 22.72}, {115.13, 22.72}, {115.13, 22.73}, {115.12, 22.72}}}},
		{"multipolygon", `{"type":"MultiPolygon","coordinates":[[[[115.1,22.7],[115.2,22.7],[115.2,22.8],[115.1,22.8],[115.1,22.7]]]]}`, orb.MultiPolygon{{square}}},
		{"geometry collection", `{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[115,22]},{"type":"LineString","coordinates":[[115,22],[116,23]]}]}`,
			orb.Collection{orb.Point{115, 22}, orb.LineString{{115, 22}, {116, 23}}}},
		{"underflowing literal is zero", `{"type":"Point","coordinates":[1e-999,22]}`, orb.Point{0, 22}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseGeometry([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseGeometry: %v", err)
			}
			if !orb.Equal(got, tt.want) {
				t.Errorf("ParseGeometry = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestParseGeometryRejectsWithExactPath(t *testing.T) {
	const ring = `[[115.1,22.7],[115.2,22.7],[115.2,22.8],[115.1,22.8],[115.1,22.7]]`
	tests := []struct {
		name      string
		in        string
		wantError string
		wantCoord *orb.Point
	}{
		// Not JSON, or not a geometry object.
		{"empty input", ``, "geometry: invalid JSON: unexpected end of input", nil},
		{"malformed JSON", `{"type":"Point",}`, "geometry: invalid JSON: invalid character '}' looking for beginning of object key string (offset 16)", nil},
		{"truncated JSON", `{"type":"Point","coordinates":[115`, "geometry.coordinates: invalid JSON: unexpected end of input", nil},
		{"trailing data", `{"type":"Point","coordinates":[115,22]} {}`, "geometry: unexpected data after the geometry object", nil},
		{"not an object", `[115,22]`, "geometry: expected a GeoJSON geometry object, got an array", nil},
		{"duplicate member", `{"type":"Point","coordinates":[115,22],"coordinates":[116,23]}`, "geometry.coordinates: member appears more than once", nil},
		{"nested too deeply", `{"type":"Point","coordinates":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`,
			"geometry.coordinates[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nested more than 32 levels deep", nil},

		// type
		{"missing type", `{"coordinates":[115,22]}`, "geometry.type: missing", nil},
		{"type not a string", `{"type":7,"coordinates":[115,22]}`, "geometry.type: expected a string, got a number", nil},
		{"unknown type", `{"type":"Circle","coordinates":[115,22]}`,
			`geometry.type: unknown geometry type "Circle" (want one of Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon, GeometryCollection)`, nil},
		{"wrong case", `{"type":"point","coordinates":[115,22]}`,
			`geometry.type: unknown geometry type "point" (type names are case-sensitive: did you mean "Point"?)`, nil},
		{"a feature instead of a geometry", `{"type":"Feature","geometry":null,"properties":{}}`,
			"geometry.type: expected a geometry, got a Feature; send its geometry instead", nil},

		// coordinates shape
		{"missing coordinates", `{"type":"Point"}`, "geometry.coordinates: missing", nil},
		{"null coordinates", `{"type":"LineString","coordinates":null}`, "geometry.coordinates: expected an array, got null", nil},
		{"point with one number", `{"type":"Point","coordinates":[115]}`, "geometry.coordinates: position has 1 element, want 2 or 3 (longitude, latitude[, altitude])", nil},
		{"point with four numbers", `{"type":"Point","coordinates":[115,22,1,2]}`, "geometry.coordinates: position has 4 elements, want 2 or 3 (longitude, latitude[, altitude])", nil},
		{"position not an array", `{"type":"MultiPoint","coordinates":[[115,22],"115,22"]}`, "geometry.coordinates[1]: expected a position [longitude, latitude], got a string", nil},
		{"latitude as a string", `{"type":"LineString","coordinates":[[115,22],[115,"22.5"]]}`, "geometry.coordinates[1][1]: latitude must be a number, got a string", nil},
		{"altitude as null", `{"type":"Point","coordinates":[115,22,null]}`, "geometry.coordinates[2]: altitude must be a number, got null", nil},

		// numbers
		{"longitude overflows float64", `{"type":"LineString","coordinates":[[115,22],[1e999,22]]}`, "geometry.coordinates[1]: longitude 1e999 is not a finite number", nil},
		{"latitude overflows negatively", `{"type":"Point","coordinates":[115,-1e400]}`, "geometry.coordinates: latitude -1e400 is not a finite number", nil},
		{"altitude overflows", `{"type":"Point","coordinates":[115,22,1e999]}`, "geometry.coordinates: altitude 1e999 is not a finite number", nil},
		{"longitude out of range", `{"type":"Point","coordinates":[181,22]}`, "geometry.coordinates: longitude 181 out of range [-180, 180]", &orb.Point{181, 22}},
		{"latitude out of range", `{"type":"MultiPoint","coordinates":[[115,22],[116,23],[115,113.5]]}`,
			"geometry.coordinates[2]: latitude 113.5 out of range [-90, 90]", &orb.Point{115, 113.5}},
		{"latitude out of range because swapped", `{"type":"Point","coordinates":[22.78,115.37]}`,
			"geometry.coordinates: latitude 115.37 out of range [-90, 90]; positions are [longitude, latitude]: did you mean [115.37, 22.78]?", &orb.Point{22.78, 115.37}},

		// structure
		{"empty multipoint", `{"type":"MultiPoint","coordinates":[]}`, "geometry.coordinates: MultiPoint needs at least 1 position, got 0", nil},
		{"linestring of one position", `{"type":"LineString","coordinates":[[115,22]]}`, "geometry.coordinates: LineString needs at least 2 positions, got 1", nil},
		{"short line inside a multilinestring", `{"type":"MultiLineString","coordinates":[[[115,22],[116,23]],[[115,22]]]}`, "geometry.coordinates[1]: LineString needs at least 2 positions, got 1", nil},
		{"empty multilinestring", `{"type":"MultiLineString","coordinates":[]}`, "geometry.coordinates: MultiLineString needs at least 1 line, got 0", nil},
		{"polygon without rings", `{"type":"Polygon","coordinates":[]}`, "geometry.coordinates: Polygon needs at least 1 ring, got 0", nil},
		{"ring of three positions", `{"type":"Polygon","coordinates":[[[115,22],[116,22],[115,22]]]}`, "geometry.coordinates[0]: a polygon ring needs at least 4 positions, got 3", nil},
		{"ring not closed", `{"type":"Polygon","coordinates":[[[115.1,22.7],[115.2,22.7],[115.2,22.8],[115.1,22.8]]]}`,
			"geometry.coordinates[0]: ring is not closed: the last position [115.1, 22.8] differs from the first [115.1, 22.7]", &orb.Point{115.1, 22.8}},
		{"hole not closed", `{"type":"Polygon","coordinates":[` + ring + `,[[115.12,22.72],[115.13,22.72],[115.13,22.73],[115.12,22.73]]]}`,
			"geometry.coordinates[1]: ring is not closed: the last position [115.12, 22.73] differs from the first [115.12, 22.72]", &orb.Point{115.12, 22.73}},
		{"bad position deep in a multipolygon", `{"type":"MultiPolygon","coordinates":[[` + ring + `],[[[115.1,22.7],[115.2,22.7],[115.2,95],[115.1,22.8],[115.1,22.7]]]]}`,
			"geometry.coordinates[1][0][2]: latitude 95 out of range [-90, 90]", &orb.Point{115.2, 95}},
		{"empty multipolygon", `{"type":"MultiPolygon","coordinates":[]}`, "geometry.coordinates: MultiPolygon needs at least 1 polygon, got 0", nil},

		// collections
		{"collection without geometries", `{"type":"GeometryCollection"}`, "geometry.geometries: missing", nil},
		{"empty collection", `{"type":"GeometryCollection","geometries":[]}`, "geometry.geometries: GeometryCollection needs at least 1 geometry, got 0", nil},
		{"bad member of a collection", `{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[115,22]},{"type":"LineString","coordinates":[[115,22],[200,22]]}]}`,
			"geometry.geometries[1].coordinates[1]: longitude 200 out of range [-180, 180]", &orb.Point{200, 22}},
		{"non-object member of a collection", `{"type":"GeometryCollection","geometries":[[115,22]]}`,
			"geometry.geometries[0]: expected a GeoJSON geometry object, got an array", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := ParseGeometry([]byte(tt.in))
			if err == nil {
				t.Fatalf("ParseGeometry = %v, want error %q", g, tt.wantError)
			}
			if g != nil {
				t.Errorf("ParseGeometry returned geometry %v alongside the error", g)
			}
			if err.Error() != tt.wantError {
				t.Errorf("error\n got %q\nwant %q", err.Error(), tt.wantError)
			}
			var ie *InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T is not an *InvalidError", err)
			}
			switch {
			case tt.wantCoord == nil && ie.Coord != nil:
				t.Errorf("Coord = %v, want nil", *ie.Coord)
			case tt.wantCoord != nil && (ie.Coord == nil || *ie.Coord != *tt.wantCoord):
				t.Errorf("Coord = %v, want %v", ie.Coord, *tt.wantCoord)
			}
		})
	}
}
