package inspections

import (
	"crypto/rand"
	"encoding/binary"
	"math/bits"
	mrand "math/rand/v2"
)

// A 双随机 draw picks units and inspectors uniformly at random without
// replacement, from a seed that is stored with the plan, so the draw can be
// replayed and checked by anyone: the same seed over the same candidates
// (ascending ids) picks the same, in the same order.
//
// The stream is PCG (math/rand/v2's PCG, a fixed and published algorithm)
// seeded with (seed, stream) — units and inspectors draw from two streams
// of one seed — and each pick is a partial Fisher–Yates step whose bounded
// integer is taken by rejection (Lemire's method) on the stream's 64-bit
// outputs, written here rather than borrowed from rand.IntN, whose method a
// later Go release is free to change.

// Streams of a plan's seed.
const (
	unitStream      = 1
	inspectorStream = 2
)

// MaxSeed bounds seeds to what a JSON number carries exactly (2^53 − 1).
const MaxSeed = 1<<53 - 1

// NewSeed returns a random seed for a draw that was given none.
func NewSeed() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.LittleEndian.Uint64(b[:]) & MaxSeed)
}

// Draw returns n of the candidates picked at random from (seed, stream),
// in draw order. It needs n <= len(candidates); candidates is not changed.
func Draw(seed int64, stream uint64, candidates []int64, n int) []int64 {
	src := mrand.NewPCG(uint64(seed), stream)
	pool := append([]int64(nil), candidates...)
	for i := 0; i < n; i++ {
		j := i + int(below(src, uint64(len(pool)-i)))
		pool[i], pool[j] = pool[j], pool[i]
	}
	return pool[:n]
}

// below returns a uniform integer in [0, n), n > 0 (Lemire, "Fast Random
// Integer Generation in an Interval", 2019).
func below(src *mrand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(src.Uint64(), n)
	if lo < n {
		threshold := -n % n
		for lo < threshold {
			hi, lo = bits.Mul64(src.Uint64(), n)
		}
	}
	return hi
}
