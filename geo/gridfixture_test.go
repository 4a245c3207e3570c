package geo

import (
	"fmt"
	"math/rand/v2"

	"github.com/paulmach/orb"
)

// Shanwei's extent, used for synthetic grids and test points.
const (
	swMinLon, swMaxLon = 114.9, 116.2
	swMinLat, swMaxLat = 22.6, 23.4
)

// lattice is a jittered rows x cols lattice of quadrilateral grids over
// Shanwei. Neighbouring cells are built from the very same vertex values, so
// shared edges and vertices match exactly, as in a real grid layer.
type lattice struct {
	rows, cols int
	vertex     [][]orb.Point // (rows+1) x (cols+1)
	grids      []Grid
}

func cellCode(r, c, cols int) string {
	return fmt.Sprintf("441500%09d", r*cols+c)
}

func newLattice(rows, cols int, seed uint64) *lattice {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	dx := (swMaxLon - swMinLon) / float64(cols)
	dy := (swMaxLat - swMinLat) / float64(rows)
	l := &lattice{rows: rows, cols: cols}
	l.vertex = make([][]orb.Point, rows+1)
	for r := 0; r <= rows; r++ {
		l.vertex[r] = make([]orb.Point, cols+1)
		for c := 0; c <= cols; c++ {
			p := orb.Point{swMinLon + float64(c)*dx, swMinLat + float64(r)*dy}
			// Jitter interior vertices only (by < 25% of a cell, which keeps
			// every quad simple) so the lattice still tiles the extent.
			if r > 0 && r < rows && c > 0 && c < cols {
				p[0] += (rng.Float64() - 0.5) * 0.5 * dx
				p[1] += (rng.Float64() - 0.5) * 0.5 * dy
			}
			l.vertex[r][c] = p
		}
	}
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			v := l.vertex
			ring := orb.Ring{v[r][c], v[r][c+1], v[r+1][c+1], v[r+1][c], v[r][c]}
			l.grids = append(l.grids, Grid{Code: cellCode(r, c, cols), Shape: orb.MultiPolygon{{ring}}})
		}
	}
	return l
}

// randomPoints returns n points spread uniformly over Shanwei.
func randomPoints(n int, seed uint64) []orb.Point {
	rng := rand.New(rand.NewPCG(seed, 7))
	pts := make([]orb.Point, n)
	for i := range pts {
		pts[i] = orb.Point{
			swMinLon + rng.Float64()*(swMaxLon-swMinLon),
			swMinLat + rng.Float64()*(swMaxLat-swMinLat),
		}
	}
	return pts
}
