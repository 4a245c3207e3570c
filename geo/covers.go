package geo

import "github.com/paulmach/orb"

// ringLocation is where a point lies relative to one ring.
type ringLocation int8

const (
	ringOutside ringLocation = iota
	ringBoundary
	ringInside
)

// locateInRing classifies p against ring r by winding number.
//
// It follows the rules of PostGIS's own point-in-polygon code, which is what
// ST_Covers(polygon, point) runs: a point on any edge (vertices included) is
// on the boundary; otherwise the ring contains the point when the winding
// number is non-zero (non-zero rule, not even-odd, so it agrees with the
// database even on self-overlapping rings); zero-length edges are ignored.
// PostGIS evaluates the side test as a plain float64 determinant; here it is
// exact (see orientation). For coordinates of one city (each axis within a
// factor of two, so the differences are exact) the database's sign is then
// never wrong; it can only come out zero (boundary) where the exact value is
// non-zero but below the products' rounding error, i.e. for points within
// about 1e-18 degrees of an edge's line. Elsewhere the two agree exactly.
//
// A ring that is not explicitly closed is treated as closed.
func locateInRing(r orb.Ring, p orb.Point) ringLocation {
	n := len(r)
	if n == 0 {
		return ringOutside
	}
	segments := n - 1
	if r[0] != r[n-1] {
		segments = n
	}

	winding := 0
	for i := 0; i < segments; i++ {
		a, b := r[i], r[(i+1)%n]
		if a == b {
			continue
		}
		// Outside the edge's y-range the point can neither lie on the edge
		// nor be passed by it.
		if (p[1] < a[1] && p[1] < b[1]) || (p[1] > a[1] && p[1] > b[1]) {
			continue
		}
		// Right of the edge's x-range: not on it, and the rightward ray
		// from p cannot cross it.
		if p[0] > a[0] && p[0] > b[0] {
			continue
		}

		var side int
		switch {
		case p[0] < a[0] && p[0] < b[0]:
			// Strictly left of the whole edge, so the sign is known
			// without arithmetic: left of an upward edge, right of a
			// downward one. A horizontal edge here is not crossed.
			switch {
			case a[1] < b[1]:
				side = 1
			case a[1] > b[1]:
				side = -1
			default:
				continue
			}
		default:
			side = orientation(a, b, p)
			if side == 0 {
				// Collinear and inside the edge's bounding box (both
				// ranges were checked above): on the edge.
				return ringBoundary
			}
		}

		// Half-open rule on y so that a ray through a vertex is counted
		// once.
		if a[1] <= p[1] && p[1] < b[1] && side > 0 {
			winding++
		} else if b[1] <= p[1] && p[1] < a[1] && side < 0 {
			winding--
		}
	}
	if winding != 0 {
		return ringInside
	}
	return ringOutside
}

// polygonCovers reports whether p lies in the closed polygon: inside or on
// the shell and not strictly inside any hole. A point on a hole's edge is on
// the polygon's boundary and so is covered.
func polygonCovers(poly orb.Polygon, p orb.Point) bool {
	if len(poly) == 0 {
		return false
	}
	switch locateInRing(poly[0], p) {
	case ringOutside:
		return false
	case ringBoundary:
		return true
	}
	for _, hole := range poly[1:] {
		switch locateInRing(hole, p) {
		case ringInside:
			return false
		case ringBoundary:
			return true
		}
	}
	return true
}

// multiPolygonCovers reports whether any member polygon covers p; this is
// ST_Covers(mp, p) for a point p.
func multiPolygonCovers(mp orb.MultiPolygon, p orb.Point) bool {
	for _, poly := range mp {
		if polygonCovers(poly, p) {
			return true
		}
	}
	return false
}
