package main

import (
	"slices"
	"testing"
)

// The warm server and the HTTP ceiling are measured back to back in every
// round, the ceiling with a tile's headers right after them, each server
// once a round.
func TestEveryRoundMeasuresTheWarmServerNextToTheHTTPCeiling(t *testing.T) {
	var all []variant
	for _, n := range []string{"cold", "cold (baseline)", "warm", "warm gzip", "warm (baseline)", httpCeiling, tileHeaderCeiling} {
		all = append(all, variant{name: n})
	}
	firsts := map[int]bool{}
	for round := range 7 {
		order := roundOrder(all, round)
		sorted := slices.Sorted(slices.Values(order))
		if !slices.Equal(sorted, []int{0, 1, 2, 3, 4, 5, 6}) {
			t.Fatalf("round %d: %v measures not every server once", round, order)
		}
		w, c := slices.Index(order, 2), slices.Index(order, 5)
		if w-c != 1 && c-w != 1 {
			t.Errorf("round %d: %v: warm and the HTTP ceiling apart", round, order)
		}
		if h := slices.Index(order, 6); h != max(w, c)+1 {
			t.Errorf("round %d: %v: the ceiling with a tile's headers not right after warm and the HTTP ceiling", round, order)
		}
		firsts[order[0]] = true
	}
	if len(firsts) != 5 {
		t.Errorf("rounds start with %d different slots, want 5", len(firsts))
	}
}

// A run without the warm server (or the bare ceiling) still measures every
// other server once a round, the ceiling with a tile's headers included.
func TestEveryRoundMeasuresEveryServerOnceWhateverIsMissing(t *testing.T) {
	for _, names := range [][]string{
		{"cold", httpCeiling, tileHeaderCeiling},
		{"cold", "warm", tileHeaderCeiling},
		{"cold", tileHeaderCeiling},
		{"cold", "warm", httpCeiling},
	} {
		var all []variant
		for _, n := range names {
			all = append(all, variant{name: n})
		}
		for round := range 3 {
			order := roundOrder(all, round)
			if sorted := slices.Sorted(slices.Values(order)); !slices.Equal(sorted, []int{0, 1, 2}[:len(names)]) {
				t.Errorf("%v, round %d: order %v, want each once", names, round, order)
			}
		}
	}
}
