package geo

import (
	"math"
	"math/big"

	"github.com/paulmach/orb"
)

// orientErrBound bounds the rounding error of the float64 determinant in
// orientation relative to |l|+|r| (Shewchuk's ccwerrboundA, eps = 2^-53).
// When the computed determinant is larger than this its sign is certain.
const orientErrBound = (3.0 + 16.0*0x1p-53) * 0x1p-53

// orientMinSum is the smallest |l|+|r| for which the relative bound above is
// trusted; below it underflow could break the bound, so we go exact.
const orientMinSum = 0x1p-900

// orientation reports on which side of the directed line a→b the point c
// lies: +1 left (a, b, c counter-clockwise), -1 right, 0 collinear.
// The sign is exact for all finite inputs: a float64 evaluation decides when
// its error bound allows, otherwise the determinant is recomputed exactly.
// Exactness is what lets points on shared grid edges be recognised as
// boundary points, the way the database does.
func orientation(a, b, c orb.Point) int {
	// Degenerate triples are collinear by definition. Catching them here
	// keeps lookups of points on grid vertices off the slow exact path.
	if c == a || c == b || a == b {
		return 0
	}
	abx, acy := b[0]-a[0], c[1]-a[1]
	aby, acx := b[1]-a[1], c[0]-a[0]

	// A float64 difference is zero only when the operands are equal, so a
	// zero factor on both sides means an exactly zero determinant. This is
	// the common case of points on axis-aligned grid edges; catching it here
	// keeps those lookups off the slow exact path.
	if (abx == 0 || acy == 0) && (aby == 0 || acx == 0) {
		return 0
	}

	// The explicit conversions forbid fused multiply-add, which the error
	// bound does not account for.
	l := float64(abx * acy)
	r := float64(aby * acx)
	det := l - r
	sum := math.Abs(l) + math.Abs(r)
	if sum >= orientMinSum {
		bound := orientErrBound * sum
		if det > bound {
			return 1
		}
		if -det > bound {
			return -1
		}
	}
	return orientationExact(a, b, c)
}

// orientationExact evaluates the orientation determinant in rational
// arithmetic. Every finite float64 is a rational, so this is exact. It is
// only reached when the float64 filter cannot decide, i.e. for (nearly)
// collinear points. Non-finite input has no meaningful answer; it is
// reported as collinear rather than panicking.
func orientationExact(a, b, c orb.Point) int {
	var v [6]big.Rat
	for i, f := range [6]float64{a[0], a[1], b[0], b[1], c[0], c[1]} {
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return 0
		}
		v[i].SetFloat64(f)
	}
	ax, ay, bx, by, cx, cy := &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]

	var abx, acy, aby, acx, l, r big.Rat
	abx.Sub(bx, ax)
	acy.Sub(cy, ay)
	aby.Sub(by, ay)
	acx.Sub(cx, ax)
	l.Mul(&abx, &acy)
	r.Mul(&aby, &acx)
	return l.Cmp(&r)
}
