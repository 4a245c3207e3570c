package inspections

import (
	"math"
	mrand "math/rand/v2"
	"slices"
	"testing"
)

func ids(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(100 + 3*i)
	}
	return out
}

func TestTheSameSeedDrawsTheSameAndAnotherSeedOtherwise(t *testing.T) {
	c := ids(600)
	a := Draw(20210315, unitStream, c, 30)
	b := Draw(20210315, unitStream, c, 30)
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different draws:\n%v\n%v", a, b)
	}
	if slices.Equal(a, Draw(20210316, unitStream, c, 30)) || slices.Equal(a, Draw(20210315, inspectorStream, c, 30)) {
		t.Fatal("another seed or stream drew the same 30 of 600")
	}
	// a fixed seed draws a fixed sequence: a release that changed it
	// would break every stored plan
	if got, want := Draw(7, unitStream, ids(10), 4), []int64{118, 124, 106, 112}; !slices.Equal(got, want) {
		t.Fatalf("seed 7 drew %v, want %v as it always has", got, want)
	}
	seen := map[int64]bool{}
	for _, x := range a {
		if seen[x] || !slices.Contains(c, x) {
			t.Fatalf("draw %v repeats or invents %d", a, x)
		}
		seen[x] = true
	}
	if !slices.Equal(c, ids(600)) {
		t.Fatal("the candidates were changed")
	}
}

// Every unit is as likely as any other to be drawn, and every position of
// the draw is uniform too: over many seeds the counts pass a chi-squared
// test (a fixed set of seeds, so the test is deterministic; its statistic
// is printed).
func TestDrawsAreUniform(t *testing.T) {
	const n, k, draws = 40, 7, 40000
	c := ids(n)
	counts := make([]float64, n)
	first := make([]float64, n)
	pairs := map[[2]int64]int{}
	for s := int64(0); s < draws; s++ {
		d := Draw(s*7919+13, unitStream, c, k)
		for _, x := range d {
			counts[(x-100)/3]++
		}
		first[(d[0]-100)/3]++
		pairs[[2]int64{d[0], d[1]}]++
	}
	chi2 := func(obs []float64, expect float64) float64 {
		x := 0.0
		for _, o := range obs {
			x += (o - expect) * (o - expect) / expect
		}
		return x
	}
	// 39 degrees of freedom: P(chi2 > 72.1) = 0.001
	const critical = 72.1
	if x := chi2(counts, float64(draws*k)/n); x > critical {
		t.Errorf("units drawn: chi2 = %.1f > %.1f with 39 d.f.", x, critical)
	} else {
		t.Logf("units drawn: chi2 = %.1f (39 d.f., 0.1%% critical value %.1f)", x, critical)
	}
	if x := chi2(first, float64(draws)/n); x > critical {
		t.Errorf("first unit: chi2 = %.1f > %.1f with 39 d.f.", x, critical)
	} else {
		t.Logf("first unit: chi2 = %.1f", x)
	}
	// ordered pairs (first, second): n(n-1) = 1560 cells, about 25.6 each
	obs := make([]float64, 0, n*(n-1))
	for _, a := range c {
		for _, b := range c {
			if a != b {
				obs = append(obs, float64(pairs[[2]int64{a, b}]))
			}
		}
	}
	dof := float64(len(obs) - 1)
	// Wilson–Hilferty: the 0.1 % critical value of chi2 with dof degrees
	z := 3.09
	crit := dof * math.Pow(1-2/(9*dof)+z*math.Sqrt(2/(9*dof)), 3)
	if x := chi2(obs, float64(draws)/float64(len(obs))); x > crit {
		t.Errorf("ordered pairs: chi2 = %.1f > %.1f with %.0f d.f.", x, crit, dof)
	} else {
		t.Logf("ordered pairs: chi2 = %.1f (%.0f d.f., critical %.1f)", x, dof, crit)
	}
}

func TestBelowIsUniformOnAnAwkwardRange(t *testing.T) {
	// n = 3·2^62 leaves a large rejection zone: the counts still agree
	const n = 3 << 62
	src := mrand.NewPCG(1, 2)
	var thirds [3]float64
	const draws = 300000
	for i := 0; i < draws; i++ {
		thirds[below(src, n)/(1<<62)]++
	}
	x := 0.0
	for _, o := range thirds {
		x += (o - draws/3) * (o - draws/3) / (draws / 3)
	}
	if x > 13.8 { // 2 d.f., 0.1 %
		t.Fatalf("thirds %v: chi2 %.1f", thirds, x)
	}
}
