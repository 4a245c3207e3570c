package geo

import (
	"math"
	"sync"
	"testing"

	"github.com/paulmach/orb"
)

func squareGrid(code string, x0, y0, x1, y1 float64) Grid {
	return Grid{Code: code, Shape: orb.MultiPolygon{{square(x0, y0, x1, y1)}}}
}

// fixtureGrids: four unit squares meeting at (1,1), inserted in an order
// unrelated to their codes; a cell with an empty hole and a hole filled by
// an island grid; two triangles sharing the diagonal y = x + 40.
func fixtureGrids() []Grid {
	return []Grid{
		squareGrid("440000000000004", 1, 1, 2, 2),
		squareGrid("440000000000002", 0, 0, 1, 1),
		squareGrid("440000000000003", 1, 0, 2, 1),
		squareGrid("440000000000005", 0, 1, 1, 2),
		{Code: "440000000000010", Shape: orb.MultiPolygon{{
			square(10, 0, 20, 10), square(12, 2, 14, 4), square(16, 6, 18, 8),
		}}},
		squareGrid("440000000000099", 16, 6, 18, 8),
		{Code: "440000000000031", Shape: orb.MultiPolygon{{orb.Ring{{0, 40}, {3, 43}, {0, 43}, {0, 40}}}}},
		{Code: "440000000000030", Shape: orb.MultiPolygon{{orb.Ring{{0, 40}, {3, 40}, {3, 43}, {0, 40}}}}},
	}
}

func TestGridIndexLocate(t *testing.T) {
	ix := NewGridIndex(fixtureGrids())
	tests := []struct {
		name     string
		p        orb.Point
		wantCode string
		wantOK   bool
	}{
		{"inside a cell", orb.Point{1.5, 0.5}, "440000000000003", true},
		{"outside every cell", orb.Point{5, 5}, "", false},
		{"on a shared vertical edge gets the smaller code", orb.Point{1, 1.5}, "440000000000004", true},
		{"on a shared horizontal edge gets the smaller code", orb.Point{0.5, 1}, "440000000000002", true},
		{"on a vertex shared by four cells gets the smallest code", orb.Point{1, 1}, "440000000000002", true},
		{"on an outer edge", orb.Point{2, 1.5}, "440000000000004", true},
		{"on an outer corner", orb.Point{0, 2}, "440000000000005", true},
		{"in an empty hole", orb.Point{13, 3}, "", false},
		{"on an empty hole's edge", orb.Point{12, 3}, "440000000000010", true},
		{"on an empty hole's vertex", orb.Point{14, 4}, "440000000000010", true},
		{"inside an island filling a hole", orb.Point{17, 7}, "440000000000099", true},
		{"on an island's edge both cover, smaller code wins", orb.Point{16, 7}, "440000000000010", true},
		{"on a shared diagonal edge gets the smaller code", orb.Point{1.25, 41.25}, "440000000000030", true},
		{"just above the diagonal", orb.Point{1.25, math.Nextafter(41.25, 50)}, "440000000000031", true},
		{"NaN point", orb.Point{math.NaN(), 1}, "", false},
		{"infinite point", orb.Point{math.Inf(1), 1}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, ok := ix.Locate(tt.p)
			if code != tt.wantCode || ok != tt.wantOK {
				t.Errorf("Locate(%v) = %q, %v; want %q, %v", tt.p, code, ok, tt.wantCode, tt.wantOK)
			}
		})
	}
}

func TestGridIndexPatches(t *testing.T) {
	probe := orb.Point{0.5, 0.5}
	edge := orb.Point{1, 0.5} // shared by ...02 and ...03
	tests := []struct {
		name     string
		patch    func(ix *GridIndex)
		p        orb.Point
		wantCode string
		wantOK   bool
		wantLen  int
	}{
		{"nothing patched", func(*GridIndex) {}, probe, "440000000000002", true, 8},
		{"remove the covering grid", func(ix *GridIndex) { ix.Remove("440000000000002") }, probe, "", false, 7},
		{"remove an unknown code is a no-op", func(ix *GridIndex) { ix.Remove("449999999999999") }, probe, "440000000000002", true, 8},
		{"upsert moves a grid away", func(ix *GridIndex) {
			ix.Upsert(squareGrid("440000000000002", 50, 50, 51, 51))
		}, probe, "", false, 8},
		{"upsert a new grid", func(ix *GridIndex) {
			ix.Upsert(squareGrid("440000000000001", -1, -1, 0.75, 0.75))
		}, probe, "440000000000001", true, 9},
		{"after removal the edge goes to the remaining neighbour", func(ix *GridIndex) {
			ix.Remove("440000000000002")
		}, edge, "440000000000003", true, 7},
		{"upsert with an empty shape covers nothing but counts", func(ix *GridIndex) {
			ix.Upsert(Grid{Code: "440000000000002"})
		}, probe, "", false, 8},
		{"upsert with a NaN vertex covers nothing", func(ix *GridIndex) {
			ix.Upsert(Grid{Code: "440000000000002", Shape: orb.MultiPolygon{{orb.Ring{{0, 0}, {1, 0}, {math.NaN(), 1}, {0, 0}}}}})
		}, probe, "", false, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := NewGridIndex(fixtureGrids())
			tt.patch(ix)
			code, ok := ix.Locate(tt.p)
			if code != tt.wantCode || ok != tt.wantOK {
				t.Errorf("Locate(%v) = %q, %v; want %q, %v", tt.p, code, ok, tt.wantCode, tt.wantOK)
			}
			if got := ix.Len(); got != tt.wantLen {
				t.Errorf("Len() = %d, want %d", got, tt.wantLen)
			}
		})
	}
}

func TestGridIndexZeroValueAndDuplicates(t *testing.T) {
	var zero GridIndex
	if _, ok := zero.Locate(orb.Point{0, 0}); ok || zero.Len() != 0 {
		t.Fatal("zero GridIndex is not empty")
	}
	zero.Upsert(squareGrid("440000000000001", 0, 0, 1, 1))
	if code, _ := zero.Locate(orb.Point{0.5, 0.5}); code != "440000000000001" {
		t.Fatalf("zero GridIndex after Upsert: Locate = %q", code)
	}

	ix := NewGridIndex([]Grid{
		squareGrid("440000000000001", 0, 0, 1, 1),
		squareGrid("440000000000001", 5, 5, 6, 6),
	})
	if ix.Len() != 1 {
		t.Fatalf("duplicate code: Len = %d, want 1", ix.Len())
	}
	if _, ok := ix.Locate(orb.Point{0.5, 0.5}); ok {
		t.Fatal("duplicate code: first grid still indexed, want the last to win")
	}
}

func TestGridIndexKeepsItsOwnCopyOfShapes(t *testing.T) {
	g := squareGrid("440000000000001", 0, 0, 1, 1)
	ix := NewGridIndex([]Grid{g})
	g.Shape[0][0][2] = orb.Point{100, 100} // caller reuses its slice
	if _, ok := ix.Locate(orb.Point{50, 50}); ok {
		t.Fatal("index saw the caller's later mutation")
	}
}

// Every point of the tiled extent lies in some cell, and a lattice vertex is
// given the smallest code among the cells that touch it.
func TestGridIndexOnJitteredLatticeVertices(t *testing.T) {
	l := newLattice(12, 15, 3)
	ix := NewGridIndex(l.grids)
	for r := 0; r <= l.rows; r++ {
		for c := 0; c <= l.cols; c++ {
			want := ""
			for _, rc := range [][2]int{{r - 1, c - 1}, {r - 1, c}, {r, c - 1}, {r, c}} {
				if rc[0] < 0 || rc[1] < 0 || rc[0] >= l.rows || rc[1] >= l.cols {
					continue
				}
				if code := cellCode(rc[0], rc[1], l.cols); want == "" || code < want {
					want = code
				}
			}
			if got, ok := ix.Locate(l.vertex[r][c]); !ok || got != want {
				t.Fatalf("vertex (%d,%d) %v: Locate = %q, %v; want %q", r, c, l.vertex[r][c], got, ok, want)
			}
		}
	}
	for _, p := range randomPoints(5000, 4) {
		if _, ok := ix.Locate(p); !ok {
			t.Fatalf("point %v inside the tiled extent is not located", p)
		}
	}
}

// Run with -race: lookups on stable cells must keep their answers while a
// writer keeps patching other cells, and a patched cell is seen either
// before or after a patch, never in between.
func TestGridIndexConcurrentReadsDuringPatches(t *testing.T) {
	l := newLattice(10, 10, 5)
	ix := NewGridIndex(l.grids)
	stable := randomPoints(200, 6)
	want := make([]string, len(stable))
	for i, p := range stable {
		want[i], _ = ix.Locate(p)
	}
	volatile := squareGrid("440000000000000", 200, 200, 201, 201)
	volatileProbe := orb.Point{200.5, 200.5}

	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				for i, p := range stable {
					if got, _ := ix.Locate(p); got != want[i] {
						errs <- "stable point " + got + " != " + want[i]
						return
					}
				}
				if got, ok := ix.Locate(volatileProbe); ok && got != volatile.Code {
					errs <- "volatile probe located in " + got
					return
				}
				if n := ix.Len(); n != len(l.grids) && n != len(l.grids)+1 {
					errs <- "torn Len"
					return
				}
			}
		}()
	}
	for i := range 2000 {
		if i%2 == 0 {
			ix.Upsert(volatile)
		} else {
			ix.Remove(volatile.Code)
		}
		// Re-upserting an unchanged cell must not disturb readers either.
		ix.Upsert(l.grids[i%len(l.grids)])
	}
	close(done)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
