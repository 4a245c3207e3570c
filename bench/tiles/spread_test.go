package main

import "testing"

// The interval of a ratio over rounds holds the true median with at least
// 95 % probability: from the k-th smallest to the k-th largest round, k
// by the sign test; fewer than six rounds give none.
func TestTheRoundsGiveTheMedianWithItsSignTestInterval(t *testing.T) {
	rounds := func(n int) []float64 { // n, n-1, …, 1: unsorted on purpose
		rs := make([]float64, n)
		for i := range rs {
			rs[i] = float64(n - i)
		}
		return rs
	}
	for _, c := range []struct {
		n              int
		median, lo, hi float64
		ok             bool
	}{
		{n: 5, median: 3}, // 2·(1/32) = 6.3 %: no 95 % interval
		{n: 6, median: 3.5, lo: 1, hi: 6, ok: true}, // 2·(1/64) = 3.1 %
		{n: 7, median: 4, lo: 1, hi: 7, ok: true},   // k = 2 would be 2·(8/128) = 12.5 %
		{n: 8, median: 4.5, lo: 1, hi: 8, ok: true}, // k = 2 would be 2·(9/256) = 7.0 %
		{n: 9, median: 5, lo: 2, hi: 8, ok: true},   // 2·(10/512) = 3.9 %
		{n: 12, median: 6.5, lo: 3, hi: 10, ok: true},
		{n: 20, median: 10.5, lo: 6, hi: 15, ok: true}, // 2·P(X ≤ 5) = 4.1 %, 2·P(X ≤ 6) = 11.5 %
	} {
		rs := rounds(c.n)
		got := spreadOf(rs)
		want := spread{median: c.median, lo: c.lo, hi: c.hi, ok: c.ok}
		if got != want {
			t.Errorf("%d rounds: %+v, want %+v", c.n, got, want)
		}
		if rs[0] != float64(c.n) {
			t.Errorf("%d rounds: the rounds' ratios were reordered", c.n)
		}
	}
	if s := (spread{median: 0.794, lo: 0.741, hi: 0.836, ok: true}).String(); s != "0.79 (0.74–0.84)" {
		t.Errorf("String: %q", s)
	}
	if s := spreadOf(nil); s != (spread{}) {
		t.Errorf("no rounds: %+v", s)
	}
}
