package geo

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// refOrientation is an independent exact reference: big.Float with far more
// precision than the test inputs (magnitudes < 2^8, ulps >= 2^-60) need.
func refOrientation(a, b, c orb.Point) int {
	f := func(x float64) *big.Float { return new(big.Float).SetPrec(4096).SetFloat64(x) }
	sub := func(x, y float64) *big.Float { return new(big.Float).SetPrec(4096).Sub(f(x), f(y)) }
	l := new(big.Float).SetPrec(4096).Mul(sub(b[0], a[0]), sub(c[1], a[1]))
	r := new(big.Float).SetPrec(4096).Mul(sub(b[1], a[1]), sub(c[0], a[0]))
	return l.Cmp(r)
}

func naiveOrientation(a, b, c orb.Point) int {
	d := float64((b[0]-a[0])*(c[1]-a[1])) - float64((b[1]-a[1])*(c[0]-a[0]))
	switch {
	case d > 0:
		return 1
	case d < 0:
		return -1
	}
	return 0
}

func TestOrientationSignOnSimpleCases(t *testing.T) {
	tests := []struct {
		name    string
		a, b, c orb.Point
		want    int
	}{
		{"left of upward edge", orb.Point{0, 0}, orb.Point{0, 1}, orb.Point{-1, 0.5}, 1},
		{"right of upward edge", orb.Point{0, 0}, orb.Point{0, 1}, orb.Point{1, 0.5}, -1},
		{"on horizontal edge", orb.Point{0, 0}, orb.Point{2, 0}, orb.Point{1, 0}, 0},
		{"on vertical line beyond the edge", orb.Point{0, 0}, orb.Point{0, 1}, orb.Point{0, 5}, 0},
		{"on diagonal with inexact decimals", orb.Point{0.1, 0.1}, orb.Point{0.3, 0.3}, orb.Point{0.2, 0.2}, 0},
		{"coincident endpoints", orb.Point{115.3, 22.7}, orb.Point{115.3, 22.7}, orb.Point{1, 2}, 0},
		{"one ulp above a diagonal", orb.Point{0, 0}, orb.Point{1, 1}, orb.Point{0.5, math.Nextafter(0.5, 1)}, 1},
		{"one ulp below a diagonal", orb.Point{0, 0}, orb.Point{1, 1}, orb.Point{0.5, math.Nextafter(0.5, 0)}, -1},
		{"subnormal offset", orb.Point{0, 0}, orb.Point{1, 1}, orb.Point{0, 0x1p-1074}, 1},
		{"huge coordinates overflow the float filter", orb.Point{-1e308, -1e308}, orb.Point{1e308, 1e308}, orb.Point{0, 1}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := orientation(tt.a, tt.b, tt.c); got != tt.want {
				t.Errorf("orientation(%v, %v, %v) = %d, want %d", tt.a, tt.b, tt.c, got, tt.want)
			}
		})
	}
}

// The classic near-collinear grid of Kettner et al., "Classroom examples of
// robustness problems in geometric computations": naive float64 gets signs
// wrong here, the exact predicate must not.
func TestOrientationIsExactWhereNaiveFloatFails(t *testing.T) {
	const u = 0x1p-53
	q, r := orb.Point{12, 12}, orb.Point{24, 24}
	naiveWrong := 0
	for i := range 64 {
		for j := range 64 {
			p := orb.Point{0.5 + float64(i)*u, 0.5 + float64(j)*u}
			want := refOrientation(p, q, r)
			if got := orientation(p, q, r); got != want {
				t.Fatalf("orientation(%v, q, r) = %d, want %d", p, got, want)
			}
			if naiveOrientation(p, q, r) != want {
				naiveWrong++
			}
		}
	}
	if naiveWrong == 0 {
		t.Fatal("naive float64 never disagreed; the grid no longer exercises the exact path")
	}
}

func TestOrientationMatchesExactReferenceNearShanweiEdges(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		a := orb.Point{114.9 + 1.3*rng.Float64(), 22.6 + 0.8*rng.Float64()}
		b := orb.Point{a[0] + 0.05*(rng.Float64()-0.5), a[1] + 0.05*(rng.Float64()-0.5)}
		// A point on (or within a few ulps of) the line a-b: the hard case.
		t0 := rng.Float64()
		c := orb.Point{a[0] + t0*(b[0]-a[0]), a[1] + t0*(b[1]-a[1])}
		for k := rng.IntN(4); k > 0; k-- {
			i := rng.IntN(2)
			c[i] = math.Nextafter(c[i], math.Inf(rng.IntN(2)*2-1))
		}
		if got, want := orientation(a, b, c), refOrientation(a, b, c); got != want {
			t.Fatalf("orientation(%v, %v, %v) = %d, want %d", a, b, c, got, want)
		}
	}
}
