package geo

import (
	"testing"

	"github.com/paulmach/orb"
)

func TestParseWKTAcceptsWhatGISExportsWrite(t *testing.T) {
	cases := []struct {
		in   string
		want orb.Geometry
	}{
		{"POINT (115.37 22.79)", orb.Point{115.37, 22.79}},
		{"POINT Z (115.37 22.79 12.5)", orb.Point{115.37, 22.79}},
		{"POINT ZM (115.37 22.79 12.5 3)", orb.Point{115.37, 22.79}},
		{"MULTIPOINT ((115 22), (116 23))", orb.MultiPoint{{115, 22}, {116, 23}}},
		{"POLYGON ((115 22, 116 22, 116 23, 115 22))", orb.Polygon{{{115, 22}, {116, 22}, {116, 23}, {115, 22}}}},
		{"MULTIPOLYGON (((115 22, 116 22, 116 23, 115 22)))", orb.MultiPolygon{{{{115, 22}, {116, 22}, {116, 23}, {115, 22}}}}},
	}
	for _, c := range cases {
		got, err := ParseWKT(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if !orb.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.in, got, c.want)
		}
	}
}

func TestParseWKTRefusesNamingTheProblem(t *testing.T) {
	for _, in := range []string{"POINT (200 22)", "POINT EMPTY", "POINT (115 22", "CIRCLE (1 2 3)", "", "POINT (22.79 115.37)"} {
		if _, err := ParseWKT(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
