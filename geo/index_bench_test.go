package geo

import (
	"testing"

	"github.com/paulmach/orb"
)

// BenchmarkGridIndexLocate measures lookups over ~1,500 jittered
// quadrilateral grids (38 x 40) covering Shanwei.
//
//   - random: uniform points, nearly all strictly inside one cell.
//   - vertices: points exactly on lattice vertices, each covered by up to four
//     cells; the worst case, as every candidate needs the exact side test.
func BenchmarkGridIndexLocate(b *testing.B) {
	l := newLattice(38, 40, 1)
	ix := NewGridIndex(l.grids)
	var onVertices []orb.Point
	for _, row := range l.vertex {
		onVertices = append(onVertices, row...)
	}
	cases := []struct {
		name string
		pts  []orb.Point
	}{
		{"random", randomPoints(1<<16, 2)},
		{"vertices", onVertices},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			n := 0
			for b.Loop() {
				if _, ok := ix.Locate(bc.pts[n%len(bc.pts)]); !ok {
					b.Fatal("point not located")
				}
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lookups/s")
		})
	}
}

// BenchmarkGridIndexLocateParallel shows lookups scaling across cores, as in
// bulk placement, since readers share no lock.
func BenchmarkGridIndexLocateParallel(b *testing.B) {
	l := newLattice(38, 40, 1)
	ix := NewGridIndex(l.grids)
	pts := randomPoints(1<<16, 2)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			ix.Locate(pts[i%len(pts)])
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}
