package geo

import (
	"slices"
	"strings"

	"github.com/paulmach/orb"
)

// CheckType accepts g only if its GeoJSON type is one of allowed, e.g.
// CheckType(g, "Point") for a point layer or
// CheckType(g, "Polygon", "MultiPolygon") for an area layer.
func CheckType(g orb.Geometry, allowed ...string) error {
	if g == nil {
		return invalid(geometryRoot, "missing")
	}
	typ := g.GeoJSONType()
	if slices.Contains(allowed, typ) {
		return nil
	}
	return invalid(geometryRoot+".type", typ+" is not allowed here (want "+strings.Join(allowed, " or ")+")")
}

// AsMultiPolygon promotes a Polygon to a one-member MultiPolygon and passes a
// MultiPolygon through, so area layers can store a single column type. Any
// other geometry is rejected as by CheckType(g, "Polygon", "MultiPolygon").
func AsMultiPolygon(g orb.Geometry) (orb.MultiPolygon, error) {
	switch g := g.(type) {
	case orb.MultiPolygon:
		return g, nil
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	case orb.Ring:
		return orb.MultiPolygon{{g}}, nil
	case orb.Bound:
		return orb.MultiPolygon{g.ToPolygon()}, nil
	}
	return nil, CheckType(g, "Polygon", "MultiPolygon")
}
