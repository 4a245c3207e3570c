package geo

import (
	"testing"

	"github.com/paulmach/orb"
)

func square(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

func reversed(r orb.Ring) orb.Ring {
	out := make(orb.Ring, len(r))
	for i, p := range r {
		out[len(r)-1-i] = p
	}
	return out
}

func TestLocateInRingClassifiesInsideBoundaryOutside(t *testing.T) {
	sq := square(0, 0, 2, 2)
	diamond := orb.Ring{{1, 0}, {2, 1}, {1, 2}, {0, 1}, {1, 0}}
	// A ring that winds twice around [1,2]x[1,2]: even-odd would call its
	// centre outside; PostGIS's non-zero winding rule calls it inside.
	twice := orb.Ring{{0, 0}, {3, 0}, {3, 3}, {0, 3}, {0, 0.5}, {2.5, 0.5}, {2.5, 2.5}, {0.5, 2.5}, {0.5, 0}, {0, 0}}
	tests := []struct {
		name string
		ring orb.Ring
		p    orb.Point
		want ringLocation
	}{
		{"inside ccw square", sq, orb.Point{1, 1}, ringInside},
		{"inside cw square", reversed(sq), orb.Point{1, 1}, ringInside},
		{"outside", sq, orb.Point{3, 1}, ringOutside},
		{"on bottom edge", sq, orb.Point{1, 0}, ringBoundary},
		{"on top edge of cw square", reversed(sq), orb.Point{1, 2}, ringBoundary},
		{"on left edge", sq, orb.Point{0, 1.5}, ringBoundary},
		{"on vertex", sq, orb.Point{2, 2}, ringBoundary},
		{"on the closing vertex", sq, orb.Point{0, 0}, ringBoundary},
		{"collinear with an edge but past its end", sq, orb.Point{3, 0}, ringOutside},
		{"collinear with an edge but before its start", sq, orb.Point{-1, 2}, ringOutside},
		{"ray passes through a vertex, point inside", diamond, orb.Point{0.5, 1}, ringInside},
		{"ray passes through two vertices, point outside", diamond, orb.Point{-1, 1}, ringOutside},
		{"level with the top vertex, outside", diamond, orb.Point{0.5, 2}, ringOutside},
		{"on a diagonal edge", diamond, orb.Point{1.5, 0.5}, ringBoundary},
		{"on diagonal edge with inexact decimals", orb.Ring{{0.1, 0.1}, {0.7, 0.1}, {0.7, 0.7}, {0.1, 0.1}}, orb.Point{0.3, 0.3}, ringBoundary},
		{"unclosed ring is closed implicitly", orb.Ring{{0, 0}, {2, 0}, {2, 2}, {0, 2}}, orb.Point{0, 1}, ringBoundary},
		{"repeated vertex is ignored", orb.Ring{{0, 0}, {2, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 0}}, orb.Point{1, 1}, ringInside},
		{"self-overlapping ring uses non-zero winding", twice, orb.Point{1.5, 1.5}, ringInside},
		{"empty ring", orb.Ring{}, orb.Point{0, 0}, ringOutside},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := locateInRing(tt.ring, tt.p); got != tt.want {
				t.Errorf("locateInRing(%v) = %d, want %d", tt.p, got, tt.want)
			}
		})
	}
}

func TestMultiPolygonCoversHonoursHolesAndMembers(t *testing.T) {
	holed := orb.Polygon{square(0, 0, 10, 10), square(2, 2, 4, 4), reversed(square(6, 6, 8, 8))}
	mp := orb.MultiPolygon{holed, {square(20, 0, 21, 1)}}
	tests := []struct {
		name string
		p    orb.Point
		want bool
	}{
		{"inside the shell", orb.Point{5, 5}, true},
		{"on the shell edge", orb.Point{10, 5}, true},
		{"strictly inside a hole", orb.Point{3, 3}, false},
		{"on a hole edge", orb.Point{2, 3}, true},
		{"on a hole vertex", orb.Point{4, 4}, true},
		{"inside a hole wound the other way", orb.Point{7, 7}, false},
		{"in the second member", orb.Point{20.5, 0.5}, true},
		{"between members", orb.Point{15, 0.5}, false},
		{"outside everything", orb.Point{-1, -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := multiPolygonCovers(mp, tt.p); got != tt.want {
				t.Errorf("multiPolygonCovers(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestPolygonCoversNothingWhenEmpty(t *testing.T) {
	if polygonCovers(orb.Polygon{}, orb.Point{0, 0}) {
		t.Fatal("empty polygon covers a point")
	}
}
