package main

import (
	"fmt"
	"sort"
)

// spread is a ratio taken once a round: the median of the rounds' ratios
// and, with six rounds or more, the interval from the k-th smallest to the
// k-th largest of them that holds the true median with at least 95 %
// probability whatever the rounds' distribution (the sign test's interval:
// k is the largest with 2·P(Binomial(n, ½) < k) ≤ 5 %). On a shared machine
// a single run's median moves by a few hundredths; the interval says by how
// much this run's rounds allow, so that "at least 0.8" or "not below the
// baseline" is read against it, not against the median alone.
type spread struct {
	median, lo, hi float64
	ok             bool // an interval exists: six rounds or more
}

// spreadOf is the spread of rs (not modified); the zero spread for none.
func spreadOf(rs []float64) spread {
	n := len(rs)
	if n == 0 {
		return spread{}
	}
	s := append([]float64(nil), rs...)
	sort.Float64s(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	k := signTestRank(n)
	if k == 0 {
		return spread{median: med}
	}
	return spread{median: med, lo: s[k-1], hi: s[n-k], ok: true}
}

// signTestRank is the largest k with 2·P(Binomial(n, ½) ≤ k-1) ≤ 0.05, or
// 0 when even the lowest and highest of n rounds hold the median with less
// than 95 % probability (n < 6).
func signTestRank(n int) int {
	// P(X ≤ j) for X ~ Binomial(n, ½), accumulated term by term
	k, cdf, term := 0, 0.0, 1.0
	for range n {
		term /= 2
	}
	for j := 0; j < n/2; j++ {
		if j > 0 {
			term = term * float64(n-j+1) / float64(j)
		}
		cdf += term
		if 2*cdf > 0.05 {
			break
		}
		k = j + 1
	}
	return k
}

// String is the median, with the interval when there is one:
// "0.79 (0.74–0.84)".
func (s spread) String() string {
	if !s.ok {
		return fmt.Sprintf("%.2f", s.median)
	}
	return fmt.Sprintf("%.2f (%.2f–%.2f)", s.median, s.lo, s.hi)
}
