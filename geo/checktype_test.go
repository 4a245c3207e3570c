package geo

import (
	"errors"
	"testing"

	"github.com/paulmach/orb"
)

func TestCheckTypeAllowsOnlyListedTypes(t *testing.T) {
	poly := orb.Polygon{{{115, 22}, {116, 22}, {116, 23}, {115, 22}}}
	tests := []struct {
		name      string
		g         orb.Geometry
		allowed   []string
		wantError string
	}{
		{"point on a point layer", orb.Point{115, 22}, []string{"Point"}, ""},
		{"polygon on an area layer", poly, []string{"Polygon", "MultiPolygon"}, ""},
		{"multipolygon on an area layer", orb.MultiPolygon{poly}, []string{"Polygon", "MultiPolygon"}, ""},
		{"line on a point layer", orb.LineString{{115, 22}, {116, 23}}, []string{"Point"}, "geometry.type: LineString is not allowed here (want Point)"},
		{"multipoint on a point layer", orb.MultiPoint{{115, 22}}, []string{"Point"}, "geometry.type: MultiPoint is not allowed here (want Point)"},
		{"point on an area layer", orb.Point{115, 22}, []string{"Polygon", "MultiPolygon"}, "geometry.type: Point is not allowed here (want Polygon or MultiPolygon)"},
		{"collection on an area layer", orb.Collection{poly}, []string{"Polygon", "MultiPolygon"}, "geometry.type: GeometryCollection is not allowed here (want Polygon or MultiPolygon)"},
		{"missing geometry", nil, []string{"Point"}, "geometry: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckType(tt.g, tt.allowed...)
			if tt.wantError == "" {
				if err != nil {
					t.Fatalf("CheckType: %v", err)
				}
				return
			}
			var ie *InvalidError
			if !errors.As(err, &ie) || err.Error() != tt.wantError {
				t.Fatalf("CheckType error = %v, want *InvalidError %q", err, tt.wantError)
			}
		})
	}
}

func TestAsMultiPolygonPromotesPolygons(t *testing.T) {
	poly := orb.Polygon{{{115, 22}, {116, 22}, {116, 23}, {115, 22}}}
	tests := []struct {
		name      string
		g         orb.Geometry
		want      orb.MultiPolygon
		wantError string
	}{
		{"polygon becomes a one-member multipolygon", poly, orb.MultiPolygon{poly}, ""},
		{"multipolygon passes through", orb.MultiPolygon{poly, poly}, orb.MultiPolygon{poly, poly}, ""},
		{"bare ring becomes a one-ring polygon", poly[0], orb.MultiPolygon{poly}, ""},
		{"bound becomes its rectangle", orb.Bound{Min: orb.Point{115, 22}, Max: orb.Point{116, 23}},
			orb.MultiPolygon{{{{115, 22}, {116, 22}, {116, 23}, {115, 23}, {115, 22}}}}, ""},
		{"line is rejected", orb.LineString{{115, 22}, {116, 23}}, nil, "geometry.type: LineString is not allowed here (want Polygon or MultiPolygon)"},
		{"nil is rejected", nil, nil, "geometry: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AsMultiPolygon(tt.g)
			if tt.wantError != "" {
				if err == nil || err.Error() != tt.wantError {
					t.Fatalf("AsMultiPolygon error = %v, want %q", err, tt.wantError)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("AsMultiPolygon = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
