package geo

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	gwkt "github.com/twpayne/go-geom/encoding/wkt"
)

// ParseWKT reads a WKT geometry as survey and GIS exports write it. It uses
// go-geom's decoder, which accepts Z, M and ZM coordinates and EMPTY (orb's
// does not); the map is 2-D, so Z and M are dropped once they are checked to
// be finite, the same rule ParseGeometry applies to GeoJSON altitudes.
func ParseWKT(s string) (orb.Geometry, error) {
	g, err := gwkt.Unmarshal(s)
	if err != nil {
		return nil, &InvalidError{Field: "wkt", Reason: fmt.Sprintf("not WKT: %v", err)}
	}
	if g.Empty() {
		return nil, &InvalidError{Field: "wkt", Reason: "empty geometry"}
	}
	for i, v := range g.FlatCoords() {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, &InvalidError{Field: "wkt", Reason: fmt.Sprintf("ordinate %d is not a finite number", i)}
		}
	}
	out, err := toOrb(g)
	if err != nil {
		return nil, err
	}
	return out, checkRanges(out)
}

func toOrb(g geom.T) (orb.Geometry, error) {
	pt := func(c geom.Coord) orb.Point { return orb.Point{c[0], c[1]} }
	line := func(cs []geom.Coord) orb.LineString {
		ls := make(orb.LineString, len(cs))
		for i, c := range cs {
			ls[i] = pt(c)
		}
		return ls
	}
	poly := func(rings [][]geom.Coord) orb.Polygon {
		p := make(orb.Polygon, len(rings))
		for i, r := range rings {
			p[i] = orb.Ring(line(r))
		}
		return p
	}
	switch g := g.(type) {
	case *geom.Point:
		return pt(g.Coords()), nil
	case *geom.MultiPoint:
		return orb.MultiPoint(line(g.Coords())), nil
	case *geom.LineString:
		return line(g.Coords()), nil
	case *geom.MultiLineString:
		mls := orb.MultiLineString{}
		for _, l := range g.Coords() {
			mls = append(mls, line(l))
		}
		return mls, nil
	case *geom.Polygon:
		return poly(g.Coords()), nil
	case *geom.MultiPolygon:
		mp := orb.MultiPolygon{}
		for _, p := range g.Coords() {
			mp = append(mp, poly(p))
		}
		return mp, nil
	}
	return nil, &InvalidError{Field: "wkt", Reason: fmt.Sprintf("geometry type %T is not supported here", g)}
}

// checkRanges applies ParseGeometry's longitude/latitude bounds.
func checkRanges(g orb.Geometry) error {
	var bad error
	visit(g, func(p orb.Point) {
		if bad == nil && (p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90) {
			q := p
			bad = &InvalidError{Field: "wkt", Reason: fmt.Sprintf("coordinate (%v, %v) is outside longitude [-180, 180] / latitude [-90, 90]", p[0], p[1]), Coord: &q}
		}
	})
	return bad
}

func visit(g orb.Geometry, f func(orb.Point)) {
	switch g := g.(type) {
	case orb.Point:
		f(g)
	case orb.MultiPoint:
		for _, p := range g {
			f(p)
		}
	case orb.LineString:
		for _, p := range g {
			f(p)
		}
	case orb.MultiLineString:
		for _, l := range g {
			visit(l, f)
		}
	case orb.Ring:
		for _, p := range g {
			f(p)
		}
	case orb.Polygon:
		for _, r := range g {
			visit(r, f)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			visit(p, f)
		}
	}
}
