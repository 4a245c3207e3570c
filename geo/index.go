package geo

import (
	"math"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// Grid is one grid cell of the risk map.
type Grid struct {
	Code  string // 15-digit grid code
	Shape orb.MultiPolygon
}

// GridIndex places points onto grid cells in memory. Locate gives the same
// answer as the database query
//
//	SELECT code FROM grid WHERE ST_Covers(geom, pt) ORDER BY code LIMIT 1
//
// including points on shared edges and vertices, which every touching grid
// covers, so the smallest code wins. Codes compare byte-wise, which for the
// equal-length digit codes agrees with any database collation.
//
// Concurrency: Locate and Len may run concurrently with each other and with
// Upsert and Remove. The index is copy-on-write: writers serialise on a
// mutex, patch a writer-private R-tree and publish an O(1) copy of it (the
// R-tree shares nodes and copies them lazily) through an atomic pointer.
// Readers search that immutable snapshot without taking any lock, so bulk
// placement never waits for a patch and never sees half of one. A RWMutex
// would also be correct, but every lookup would then write to the shared
// reader count, which serialises many-core readers on one cache line.
//
// The zero value is an empty index ready to use. A GridIndex must not be
// copied after first use.
type GridIndex struct {
	mu     sync.Mutex
	master *rtree.RTreeG[*gridEntry] // writer-owned; never searched by readers
	byCode map[string]*gridEntry     // writer-owned
	snap   atomic.Pointer[gridSnapshot]
}

// gridSnapshot is what readers see; it is never modified once published.
type gridSnapshot struct {
	tree *rtree.RTreeG[*gridEntry]
	size int
}

// gridEntry is immutable once built. The tree stores pointers because
// rtree's Delete finds an item by comparing values.
type gridEntry struct {
	code     string
	shape    orb.MultiPolygon
	min, max [2]float64
	indexed  bool // false when the shape has no vertices or a non-finite one
}

// NewGridIndex builds an index of grids. When a code occurs more than once
// the last grid wins, as with Upsert.
func NewGridIndex(grids []Grid) *GridIndex {
	ix := &GridIndex{}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, g := range grids {
		ix.put(g)
	}
	ix.publish()
	return ix
}

// Locate returns the code of the grid covering p, the smallest code when
// several do (p on a shared edge or vertex). ok is false when no grid
// covers p or p has a NaN or infinite coordinate.
func (ix *GridIndex) Locate(p orb.Point) (code string, ok bool) {
	if !finitePoint(p) {
		return "", false
	}
	s := ix.snap.Load()
	if s == nil {
		return "", false
	}
	s.tree.Search(p, p, func(_, _ [2]float64, e *gridEntry) bool {
		// The exact test costs more than a string compare, so skip
		// candidates that could not beat the current answer.
		if ok && e.code >= code {
			return true
		}
		if multiPolygonCovers(e.shape, p) {
			code, ok = e.code, true
		}
		return true
	})
	return code, ok
}

// Upsert adds g, replacing any grid with the same code. The index keeps a
// copy of g.Shape, so the caller may reuse it afterwards. A grid with no
// vertices, or with a NaN or infinite coordinate, is counted by Len but
// covers no point.
func (ix *GridIndex) Upsert(g Grid) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.put(g)
	ix.publish()
}

// Remove deletes the grid with the given code; an unknown code is a no-op.
func (ix *GridIndex) Remove(code string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	e, found := ix.byCode[code]
	if !found {
		return
	}
	ix.drop(e)
	ix.publish()
}

// Len returns the number of grids in the index.
func (ix *GridIndex) Len() int {
	s := ix.snap.Load()
	if s == nil {
		return 0
	}
	return s.size
}

// initLocked makes the zero value usable. Callers hold mu.
func (ix *GridIndex) initLocked() {
	if ix.master == nil {
		ix.master = &rtree.RTreeG[*gridEntry]{}
		ix.byCode = make(map[string]*gridEntry)
	}
}

// put inserts or replaces g in the writer-side structures. Callers hold mu.
func (ix *GridIndex) put(g Grid) {
	ix.initLocked()
	if old, found := ix.byCode[g.Code]; found {
		ix.drop(old)
	}
	e := newGridEntry(g)
	if e.indexed {
		ix.master.Insert(e.min, e.max, e)
	}
	ix.byCode[e.code] = e
}

// drop removes e from the writer-side structures. Callers hold mu.
func (ix *GridIndex) drop(e *gridEntry) {
	if e.indexed {
		ix.master.Delete(e.min, e.max, e)
	}
	delete(ix.byCode, e.code)
}

// publish makes the current writer state visible to readers. Callers hold mu.
func (ix *GridIndex) publish() {
	ix.initLocked()
	// Copy marks the master's nodes shared, so the writer's next patch
	// copies a path instead of modifying nodes readers are walking.
	ix.snap.Store(&gridSnapshot{tree: ix.master.Copy(), size: len(ix.byCode)})
}

// newGridEntry copies g and computes its bounding box from the raw
// coordinates. The box is exact (a min/max of the vertices), so the R-tree's
// inclusive box test never drops a boundary point.
func newGridEntry(g Grid) *gridEntry {
	e := &gridEntry{code: g.Code, shape: g.Shape.Clone()}
	lo := [2]float64{math.Inf(1), math.Inf(1)}
	hi := [2]float64{math.Inf(-1), math.Inf(-1)}
	for _, poly := range e.shape {
		for _, ring := range poly {
			for _, pt := range ring {
				if !finitePoint(pt) {
					return e
				}
				lo[0], lo[1] = min(lo[0], pt[0]), min(lo[1], pt[1])
				hi[0], hi[1] = max(hi[0], pt[0]), max(hi[1], pt[1])
			}
		}
	}
	if lo[0] > hi[0] {
		return e // no vertices
	}
	e.min, e.max, e.indexed = lo, hi, true
	return e
}

func finitePoint(p orb.Point) bool {
	return !math.IsNaN(p[0]) && !math.IsNaN(p[1]) &&
		!math.IsInf(p[0], 0) && !math.IsInf(p[1], 0)
}
