package geo

import (
	"fmt"

	"github.com/paulmach/orb"
)

// findPosition returns the first position of g for which bad is true, with
// its GeoJSON path rooted at root (e.g. "geometry.coordinates[0][3]"),
// mirroring how ParseGeometry names positions. Paths are only formatted for
// the position found, so scanning a valid geometry allocates nothing.
func findPosition(g orb.Geometry, root string, bad func(orb.Point) bool) (path string, p orb.Point, found bool) {
	at := func(idx ...int) string {
		s := root + ".coordinates"
		for _, i := range idx {
			s += fmt.Sprintf("[%d]", i)
		}
		return s
	}
	switch g := g.(type) {
	case orb.Point:
		if bad(g) {
			return at(), g, true
		}
	case orb.MultiPoint:
		for i, q := range g {
			if bad(q) {
				return at(i), q, true
			}
		}
	case orb.LineString:
		for i, q := range g {
			if bad(q) {
				return at(i), q, true
			}
		}
	case orb.Ring: // a one-ring Polygon in GeoJSON
		for i, q := range g {
			if bad(q) {
				return at(0, i), q, true
			}
		}
	case orb.Polygon:
		for r, ring := range g {
			for i, q := range ring {
				if bad(q) {
					return at(r, i), q, true
				}
			}
		}
	case orb.Bound:
		return findPosition(g.ToPolygon(), root, bad)
	case orb.MultiLineString:
		for l, line := range g {
			for i, q := range line {
				if bad(q) {
					return at(l, i), q, true
				}
			}
		}
	case orb.MultiPolygon:
		for k, poly := range g {
			for r, ring := range poly {
				for i, q := range ring {
					if bad(q) {
						return at(k, r, i), q, true
					}
				}
			}
		}
	case orb.Collection:
		for k, member := range g {
			if path, q, found := findPosition(member, fmt.Sprintf("%s.geometries[%d]", root, k), bad); found {
				return path, q, true
			}
		}
	}
	return "", orb.Point{}, false
}
