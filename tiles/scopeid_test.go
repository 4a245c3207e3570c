package tiles

import (
	"fmt"
	"sync"
	"testing"

	"riskmap"
)

// A cache key names a scope by a number: the same scope (however its
// codes are listed) must always get the same number, and two scopes never
// one number, or a tile would reach a user of another scope.
func TestScopesGetOneNumberEachHoweverTheirCodesAreListed(t *testing.T) {
	s := NewService(nil, Options{})
	area, area2, grid := "441502001000", "441502002000", "441502001001001"
	same := [][]riskmap.Scope{
		{{All: true}, {All: true, Areas: []string{area}}},
		{{Areas: []string{area}}, {Areas: []string{area, area}}},
		{{Grids: []string{grid}}, {Grids: []string{grid, grid}}},
		{{Areas: []string{area, area2}}, {Areas: []string{area2, area}}},
		{{Areas: []string{area}, Grids: []string{grid}}, {Areas: []string{area, area}, Grids: []string{grid}}},
	}
	seen := map[uint32]string{}
	for _, group := range same {
		// asked in both orders, so that either form may be the first seen
		for _, order := range [][]int{{0, 1}, {1, 0}} {
			first := s.scopeID(group[order[0]])
			if again := s.scopeID(group[order[1]]); again != first {
				t.Errorf("%s and %s: numbers %d and %d, want one", group[order[0]].Fingerprint(), group[order[1]].Fingerprint(), first, again)
			}
		}
		id, fp := s.scopeID(group[0]), group[0].Fingerprint()
		if other, ok := seen[id]; ok && other != fp {
			t.Errorf("%s and %s share the number %d", fp, other, id)
		}
		seen[id] = fp
	}
	if got := s.scopeID(riskmap.Scope{All: true}); got != 0 {
		t.Errorf("everything: %d, want 0", got)
	}
}

func TestScopesNumberedAtOnceFromManyRequestsAgree(t *testing.T) {
	s := NewService(nil, Options{})
	const n = 200
	ids := make([][n]uint32, 4)
	var wg sync.WaitGroup
	for g := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				ids[g][i] = s.scopeID(riskmap.Scope{Grids: []string{fmt.Sprintf("441502001%06d", i)}})
			}
		}()
	}
	wg.Wait()
	distinct := map[uint32]bool{}
	for i := range n {
		for g := range ids {
			if ids[g][i] != ids[0][i] {
				t.Fatalf("grid %d: numbers %d and %d", i, ids[0][i], ids[g][i])
			}
		}
		distinct[ids[0][i]] = true
	}
	if len(distinct) != n {
		t.Fatalf("%d grids got %d numbers", n, len(distinct))
	}
}
